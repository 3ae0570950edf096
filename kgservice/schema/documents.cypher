// Documents (jobs, profiles, courses, posts) that skills are extracted from. Every document node has the
// :Document label and a key "<kind>:<id>" (MERGE matches only on it), plus its kind label (:Job, :Profile,
// :Course, :Post) whose id is unique within that kind. Community edition supports uniqueness only.
CREATE CONSTRAINT document_key IF NOT EXISTS FOR (d:Document) REQUIRE d.key IS UNIQUE;
CREATE CONSTRAINT job_id IF NOT EXISTS FOR (d:Job) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT profile_id IF NOT EXISTS FOR (d:Profile) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT course_id IF NOT EXISTS FOR (d:Course) REQUIRE d.id IS UNIQUE;
CREATE CONSTRAINT post_id IF NOT EXISTS FOR (d:Post) REQUIRE d.id IS UNIQUE;
// Feedback edges are few among millions of extraction edges: the feedback prior's refresh seeks them here.
CREATE INDEX has_skill_source IF NOT EXISTS FOR ()-[h:HAS_SKILL]-() ON (h.source);
