// Starts an embedded Neo4j 5.26 Community database with the Bolt connector on a loopback address.
// Run from source: java -cp '<lib>/*' Launcher.java <home> <listen-address> <pagecache> <auth:true|false>
// Blocks until SIGTERM; the shutdown hook flushes and closes the store so the data survives restarts.
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

public class Launcher {
    public static void main(String[] args) throws Exception {
        if (args.length < 4) {
            System.err.println("usage: Launcher <home> <host:port> <pagecache-mb> <auth true|false>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        String[] hostPort = args[1].split(":");
        long pageCacheMb = Long.parseLong(args[2]);
        boolean auth = Boolean.parseBoolean(args[3]);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress(hostPort[0], Integer.parseInt(hostPort[1])))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.auth_enabled, auth)
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMb))
                // Long batch loads use CALL { } IN TRANSACTIONS; keep a generous but bounded tx timeout.
                .setConfig(GraphDatabaseSettings.transaction_timeout, Duration.ofMinutes(10))
                .build();

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("kgservice-neo4j: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }));
        // Touch the default database so "ready" means queries will be answered, not just that Bolt listens.
        dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME).executeTransactionally("RETURN 1");
        System.out.println("kgservice-neo4j: ready on bolt://" + args[1] + " home=" + home);
        System.out.flush();
        stopped.await();
    }
}
