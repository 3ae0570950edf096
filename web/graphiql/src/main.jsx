// GraphiQL for kgservice: the stock IDE (editors with autocomplete, docs explorer, history) plus a panel
// with the service's example operations and an API-key field. Served at /graphql to browsers.
import { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL, HISTORY_PLUGIN } from 'graphiql';
import { pick, useGraphiQL, useGraphiQLActions } from '@graphiql/react';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import 'graphiql/style.css';
import './kgservice.css';

// Monaco asks for a worker per language; each is a script built beside this one (build.mjs).
globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const name = label === 'json' || label === 'graphql' ? label : 'editor';
    return new Worker(new URL(`./${name}.worker.js`, import.meta.url));
  },
};

// The extraction page (/) keeps the key under the same name, so a key typed on one page serves both.
// sessionStorage, not localStorage: a key should not outlive the browser tab.
const KEY_STORAGE = 'kgservice.apiKey';
const readKey = () => sessionStorage.getItem(KEY_STORAGE) || '';

const endpoint = new URL(window.location.pathname, window.location.origin).href;
const plainFetcher = createGraphiQLFetcher({ url: endpoint });

// Adds `Authorization: Bearer <key>` unless the headers editor already sets Authorization.
function fetcher(params, options = {}) {
  const headers = { ...(options.headers || {}) };
  const key = readKey();
  if (key && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) {
    headers.Authorization = `Bearer ${key}`;
  }
  return plainFetcher(params, { ...options, headers });
}

function ExamplesIcon(props) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="1.5" {...props}>
      <path d="M4 5h16M4 10h16M4 15h10M4 20h7" strokeLinecap="round" />
    </svg>
  );
}

function ApiKeyField() {
  const [key, setKey] = useState(readKey);
  const { introspect } = useGraphiQLActions();
  const save = (value) => {
    setKey(value);
    if (value) sessionStorage.setItem(KEY_STORAGE, value);
    else sessionStorage.removeItem(KEY_STORAGE);
  };
  return (
    <form className="kg-key" onSubmit={(e) => { e.preventDefault(); introspect(); }}>
      <label htmlFor="kg-api-key">API key</label>
      <input id="kg-api-key" type="password" autoComplete="off" value={key}
             placeholder="when the server has KG_API__KEYS"
             onChange={(e) => save(e.target.value.trim())}
             onBlur={() => introspect()} />
      <p>Sent as <code>Authorization: Bearer &lt;key&gt;</code> with every request, the schema's
        introspection too. Mutations need a key with the write role (recordAssessment: admin).
        Without keys configured, a browser on the server's own machine needs none.</p>
    </form>
  );
}

function ExamplesPanel({ examples }) {
  const { queryEditor, variableEditor } = useGraphiQL(pick('queryEditor', 'variableEditor'));
  const { setOperationName } = useGraphiQLActions();
  const load = (example) => {
    queryEditor?.setValue(example.query);
    variableEditor?.setValue(JSON.stringify(example.variables ?? {}, null, 2));
    // GraphiQL re-reads the operation's name from the editor only after a pause; set it now, or a Run
    // right after loading sends the previous operation's name with the new document.
    const named = /^\s*(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(example.query);
    if (named) setOperationName(named[1]);
  };
  return (
    <div className="kg-examples">
      <div className="graphiql-doc-explorer-title">Examples</div>
      <ApiKeyField />
      <ul>
        {examples.map((example) => (
          <li key={example.title}>
            <button type="button" className="kg-example" onClick={() => load(example)}>{example.title}</button>
            <p>{example.description}</p>
          </li>
        ))}
      </ul>
    </div>
  );
}

function App({ examples }) {
  // Built once: GraphiQL tells plugins apart by identity.
  const [examplesPlugin] = useState(() => ({
    title: 'Examples and API key',
    icon: ExamplesIcon,
    content: () => <ExamplesPanel examples={examples} />,
  }));
  // One tab per example on a first visit; afterwards GraphiQL restores the visitor's own tabs from storage.
  const tabs = examples.map((e) => ({ query: e.query, variables: JSON.stringify(e.variables ?? {}, null, 2) }));
  // GraphiQL 5.4 fills the first tab's query from defaultTabs but not its variables (it reads them from
  // initialVariables only), so a first visit passes both; with stored tabs it must pass neither, or
  // GraphiQL would open them as one more tab.
  const firstVisit = localStorage.getItem('graphiql:tabState') === null;
  const initial = firstVisit ? { initialQuery: tabs[0]?.query, initialVariables: tabs[0]?.variables } : {};
  return (
    <GraphiQL fetcher={fetcher} plugins={[examplesPlugin, HISTORY_PLUGIN]} visiblePlugin={examplesPlugin}
              defaultTabs={tabs} defaultEditorToolsVisibility="variables" {...initial}>
      <GraphiQL.Logo>
        <a className="kg-logo" href="/">kgservice</a>
      </GraphiQL.Logo>
    </GraphiQL>
  );
}

function Failed({ error }) {
  useEffect(() => console.error(error), [error]);
  return <p className="kg-failed">GraphiQL could not start: {String(error)}</p>;
}

// kgservice/api/static/graphiql-examples.json: served as it is (editing it needs no rebuild) and run by
// tests/api/test_browser_pages.py. A query is a list of lines there, for legibility.
const root = createRoot(document.getElementById('graphiql'));
fetch('/static/graphiql-examples.json')
  .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`examples: HTTP ${r.status}`))))
  .then((examples) => examples.map((e) => ({ ...e, query: [].concat(e.query).join('\n') })))
  .then((examples) => root.render(<App examples={examples} />))
  .catch((error) => root.render(<Failed error={error} />));
