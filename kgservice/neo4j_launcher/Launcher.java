// Starts an embedded Neo4j 5.26 Community database with the Bolt connector on a loopback address.
// Run from source: java -cp '<lib>/*' Launcher.java <home> <listen-address> <pagecache> <password-file|none>
// Blocks until SIGTERM; the shutdown hook flushes and closes the store so the data survives restarts.
//
// Auth is on: the user neo4j gets the password in <password-file> (kgservice generates it, mode 0600).
// "none" turns auth off; only tests use it, to make a store as versions before auth made them.
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import inet.ipaddr.IPAddressString;
import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;

public class Launcher {
    // SHA-256 of the password last set on the system database. kgservice.graph.server names the same file.
    static final String APPLIED_MARKER = "kgservice-password.sha256";

    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: Launcher <home> <host:port> <pagecache-mb> <password-file|none>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        String[] hostPort = args[1].split(":");
        long pageCacheMb = Long.parseLong(args[2]);
        boolean auth = !args[3].equals("none");
        if (auth) {
            String password = Files.readString(Path.of(args[3]), StandardCharsets.UTF_8).strip();
            applyPassword(home, pageCacheMb, password);
        }

        DatabaseManagementService dbms = configured(home, pageCacheMb)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("kgservice-neo4j: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }));
        // Touch the default database so "ready" means queries will be answered, not just that Bolt listens.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("kgservice-neo4j: ready on bolt://" + args[1] + " home=" + home + " auth=" + auth);
        System.out.flush();
        stopped.await();
    }

    static DatabaseManagementServiceBuilder configured(Path home, long pageCacheMb) {
        return new DatabaseManagementServiceBuilder(home)
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                // Long batch loads use CALL { } IN TRANSACTIONS; keep a generous but bounded tx timeout.
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                // Nothing here imports with LOAD CSV, and embedded Neo4j has no import folder: file URLs
                // would read any file the server can, and remote URLs make the server a proxy. Both off.
                .setConfig(GraphDatabaseSettings.allow_file_urls, false)
                .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist,
                        List.of(new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0")));
    }

    // Sets neo4j's password on the system database when it differs from the one last set: on a new store
    // (whose neo4j user has the default password), on a store made with auth off, and after the password
    // file changed. It runs with Bolt off, so no client can log in with the default password meanwhile.
    static void applyPassword(Path home, long pageCacheMb, String password) throws Exception {
        Path marker = home.resolve(APPLIED_MARKER);
        String digest = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(password.getBytes(StandardCharsets.UTF_8)));
        if (Files.exists(marker) && Files.readString(marker).strip().equals(digest)) {
            return;
        }
        DatabaseManagementService setup = configured(home, pageCacheMb)
                .setConfig(BoltConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .build();
        try {
            setup.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME).executeTransactionally(
                    "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
        } catch (QueryExecutionException e) {
            // The marker was lost but the store has this password already.
            if (!e.getMessage().contains("Old password and new password cannot be the same")) {
                throw e;
            }
        } finally {
            setup.shutdown();
        }
        Files.writeString(marker, digest + "\n");
        System.out.println("kgservice-neo4j: password of user neo4j set from the password file");
    }
}
