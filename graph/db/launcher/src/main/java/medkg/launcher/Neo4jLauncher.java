package medkg.launcher;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.BoltConnectorInternalSettings;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.QueryExecutionException;
import org.neo4j.io.ByteUnit;
import org.neo4j.kernel.internal.Version;
import org.neo4j.logging.Level;
import org.neo4j.logging.log4j.Log4jLogProvider;
import org.neo4j.server.configuration.ConfigurableServerModules;
import org.neo4j.server.configuration.ServerSettings;

import inet.ipaddr.IPAddressString;

/**
 * medkg's embedded default Neo4j: a Neo4j 5.26 Community DBMS with a loopback-only Bolt connector.
 *
 * <p>Usage: {@code Neo4jLauncher --home DIR --port N --password-file F [--pagecache 512m] [--http-port N]
 * [--import-dir DIR] [--tx-memory 256m] [--unprotected true]}.
 *
 * <p>Protections (all on unless {@code --unprotected true}, which only the tests that prove medkg's read-only
 * runner holds on its own use): {@code LOAD CSV} may not read file URLs, its import directory is a dedicated
 * empty folder (never the one holding the password file), every address is on the Cypher IP blocklist (so
 * {@code LOAD CSV} fetches no URL), no extension procedure or function is loaded beyond the built-in ones the
 * project uses, and one transaction may use at most {@code --tx-memory} of heap, so a heavy analyst read fails
 * fast instead of taking the memory the watcher's writes need.
 *
 * <p>Start-up runs in two phases so that nobody can log in with a stale or default password:
 * <ol>
 *   <li>the DBMS starts with Bolt disabled, the {@code neo4j} user gets the password read from the
 *       password file (as a query parameter, never on the command line or in a log), without a forced
 *       change, and the DBMS shuts down again;</li>
 *   <li>the DBMS starts with Bolt on {@code 127.0.0.1:<port>} only, auth enabled, HTTP disabled unless
 *       {@code --http-port} is given.</li>
 * </ol>
 * With {@code --http-port N}, phase 2 also starts Neo4j's own web server on {@code 127.0.0.1:N} with only
 * its Browser module (the Neo4j Browser bundle from the {@code neo4j-browser} jar at {@code /browser/},
 * plus the discovery document at {@code /} that tells the Browser where Bolt is); the Browser logs in over
 * Bolt (WebSocket) with the same users and passwords.
 * Then one line {@code MEDKG_NEO4J_READY version=... port=... [http_port=...]} goes to stdout and the
 * launcher blocks until the JVM is asked to stop (SIGTERM / SIGINT), when a shutdown hook shuts the DBMS down cleanly.
 */
public final class Neo4jLauncher {

    private static final String USER = "neo4j";
    private static final String LOOPBACK = "127.0.0.1";
    private static final String SAME_PASSWORD = "Old password and new password cannot be the same";
    /** Extension procedures and functions allowed to load: the built-in index look-ups medkg's queries call. */
    private static final List<String> PROCEDURE_ALLOWLIST = List.of(
            "db.index.fulltext.*", "db.index.vector.*", "db.labels", "db.relationshipTypes", "db.propertyKeys",
            "db.awaitIndexes", "dbms.components");
    /** Every IPv4 and IPv6 address: LOAD CSV (and anything else Cypher fetches) reaches no URL. */
    private static final List<IPAddressString> BLOCK_ALL = List.of(
            new IPAddressString("0.0.0.0/0"), new IPAddressString("::/0"));

    private static final Object LOCK = new Object();
    private static DatabaseManagementService current;
    private static boolean stopping;
    private static OutputStream userLog;

    private Neo4jLauncher() {
    }

    public static void main(String[] args) {
        try {
            Options options = Options.parse(args);
            Runtime.getRuntime().addShutdownHook(new Thread(Neo4jLauncher::shutdown, "medkg-neo4j-shutdown"));
            run(options);
        } catch (IllegalArgumentException e) {
            System.err.println("medkg launcher: " + e.getMessage());
            System.err.println("usage: Neo4jLauncher --home DIR --port N --password-file F [--pagecache 512m]"
                    + " [--http-port N] [--import-dir DIR] [--tx-memory 256m] [--unprotected true]");
            System.exit(2);
        } catch (Throwable e) {
            System.err.println("medkg launcher: Neo4j failed to start: " + e);
            e.printStackTrace(System.err);
            System.exit(1);
        }
    }

    private static void run(Options options) throws Exception {
        String password = readPassword(options.passwordFile);
        if (options.protectedMode) {
            prepareImportDir(options);
        }
        Path logs = options.home.resolve("logs");
        Files.createDirectories(logs);
        synchronized (LOCK) {
            userLog = new FileOutputStream(logs.resolve("neo4j.log").toFile(), true);
        }

        // Phase 1: Bolt disabled, set the password on the system database.
        DatabaseManagementService bootstrap = startDbms(options, false);
        if (bootstrap == null) {
            return;
        }
        try {
            setPassword(bootstrap.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME), password);
        } finally {
            stopDbms(bootstrap);
        }

        // Phase 2: Bolt on loopback, auth enabled; HTTP (the Browser) on loopback if asked for.
        if (startDbms(options, true) == null) {
            return;
        }
        String http = options.httpPort > 0 ? " http_port=" + options.httpPort : "";
        System.out.println("MEDKG_NEO4J_READY version=" + Version.getNeo4jVersion() + " port=" + options.port
                + http);
        System.out.flush();
        Thread.currentThread().join();
    }

    private static DatabaseManagementService startDbms(Options options, boolean bolt) {
        synchronized (LOCK) {
            if (stopping) {
                return null;
            }
            current = builder(options, bolt).build();
            return current;
        }
    }

    private static void stopDbms(DatabaseManagementService service) {
        synchronized (LOCK) {
            service.shutdown();
            if (current == service) {
                current = null;
            }
        }
    }

    private static DatabaseManagementServiceBuilder builder(Options options, boolean bolt) {
        SocketAddress boltAddress = new SocketAddress(LOOPBACK, options.port);
        boolean http = bolt && options.httpPort > 0;
        DatabaseManagementServiceBuilder builder = new DatabaseManagementServiceBuilder(options.home)
                .setUserLogProvider(new Log4jLogProvider(userLog, Level.INFO))
                // Network: Bolt on loopback only (phase 2), nothing else listens unless --http-port.
                .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(LOOPBACK))
                .setConfig(GraphDatabaseSettings.default_advertised_address, new SocketAddress(LOOPBACK))
                .setConfig(BoltConnector.enabled, bolt)
                .setConfig(BoltConnector.listen_address, boltAddress)
                .setConfig(BoltConnector.advertised_address, boltAddress)
                .setConfig(BoltConnector.encryption_level, BoltConnector.EncryptionLevel.DISABLED)
                .setConfig(HttpConnector.enabled, http)
                .setConfig(HttpsConnector.enabled, false)
                .setConfig(GraphDatabaseSettings.routing_enabled, false)
                // Bolt stops after the databases; its Netty event loops need no 2 x 5 s quiet period then.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .setConfig(BoltConnectorInternalSettings.connection_shutdown_wait_time, Duration.ofSeconds(5))
                // Security.
                .setConfig(GraphDatabaseSettings.auth_enabled, true)
                .setConfig(GraphDatabaseSettings.log_queries, GraphDatabaseSettings.LogQueryLevel.OFF)
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Memory and disk: a modest footprint.
                .setConfig(GraphDatabaseSettings.pagecache_memory, options.pagecache)
                .setConfig(GraphDatabaseSettings.keep_logical_logs, "1 files")
                .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(32))
                .setConfig(GraphDatabaseSettings.check_point_interval_time, Duration.ofMinutes(5));
        if (options.protectedMode) {
            builder.setConfig(GraphDatabaseSettings.allow_file_urls, false)
                    .setConfig(GraphDatabaseSettings.load_csv_file_url_root, options.importDir)
                    .setConfig(GraphDatabaseInternalSettings.cypher_ip_blocklist, BLOCK_ALL)
                    .setConfig(GraphDatabaseSettings.procedure_allowlist, PROCEDURE_ALLOWLIST)
                    .setConfig(GraphDatabaseSettings.memory_transaction_max_size, options.txMemory);
        }
        if (http) {
            SocketAddress httpAddress = new SocketAddress(LOOPBACK, options.httpPort);
            builder.setConfig(HttpConnector.listen_address, httpAddress)
                    .setConfig(HttpConnector.advertised_address, httpAddress)
                    // The Browser only: no HTTP Cypher endpoints, no Query API, no extensions.
                    .setConfig(ServerSettings.http_enabled_modules, EnumSet.of(ConfigurableServerModules.BROWSER))
                    // Nothing outside this machine is reachable, and none of it is asked for.
                    .setConfig(ServerSettings.allow_telemetry, false)
                    .setConfig(ServerSettings.http_logging_enabled, false);
        }
        return builder;
    }

    /** Gives the neo4j user {@code password}, with no forced change, through the embedded API. */
    private static void setPassword(GraphDatabaseService system, String password) {
        try {
            system.executeTransactionally(
                    "ALTER USER " + USER + " SET PASSWORD $password CHANGE NOT REQUIRED",
                    Map.of("password", password));
        } catch (QueryExecutionException e) {
            if (e.getMessage() == null || !e.getMessage().contains(SAME_PASSWORD)) {
                throw e;
            }
            // Already the right password: only make sure no change is required.
            system.executeTransactionally("ALTER USER " + USER + " SET PASSWORD CHANGE NOT REQUIRED");
        }
    }

    /** Creates the import directory (0700) and refuses one that holds files or the password file. */
    private static void prepareImportDir(Options options) throws IOException {
        Path dir = options.importDir;
        if (options.passwordFile.toAbsolutePath().normalize().startsWith(dir.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("--import-dir " + dir + " holds the password file; give an empty folder");
        }
        Files.createDirectories(dir);
        PosixFileAttributeView view = Files.getFileAttributeView(dir, PosixFileAttributeView.class);
        if (view != null) {
            view.setPermissions(EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE));
        }
        try (var entries = Files.list(dir)) {
            if (entries.findAny().isPresent()) {
                throw new IllegalArgumentException("--import-dir " + dir + " is not empty; LOAD CSV must find nothing there");
            }
        }
    }

    private static String readPassword(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("password file not found: " + file);
        }
        PosixFileAttributeView view = Files.getFileAttributeView(file, PosixFileAttributeView.class);
        if (view != null) {
            Set<PosixFilePermission> perms = view.readAttributes().permissions();
            if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                throw new IllegalArgumentException("password file " + file + " is readable by others; chmod 600 it");
            }
        }
        String password = Files.readString(file, StandardCharsets.UTF_8).strip();
        if (password.length() < 8) {
            throw new IllegalArgumentException("password in " + file + " is shorter than 8 characters");
        }
        return password;
    }

    private static void shutdown() {
        synchronized (LOCK) {
            stopping = true;
            if (current != null) {
                current.shutdown();
                current = null;
            }
            if (userLog != null) {
                try {
                    userLog.close();
                } catch (IOException ignored) {
                    // Nothing left to do at exit.
                }
            }
        }
    }

    /** Command-line options. */
    private static final class Options {
        Path home;
        int port = -1;
        Path passwordFile;
        long pagecache = ByteUnit.parse("512m");
        int httpPort = -1;
        Path importDir;
        long txMemory = ByteUnit.parse("256m");
        boolean protectedMode = true;

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String name = args[i];
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + name);
                }
                String value = args[++i];
                switch (name) {
                    case "--home" -> o.home = Path.of(value).toAbsolutePath();
                    case "--port" -> o.port = parsePort(value);
                    case "--password-file" -> o.passwordFile = Path.of(value).toAbsolutePath();
                    case "--pagecache" -> o.pagecache = parseBytes(value);
                    case "--http-port" -> o.httpPort = parsePort(value);
                    case "--import-dir" -> o.importDir = Path.of(value).toAbsolutePath();
                    case "--tx-memory" -> o.txMemory = parseBytes(value);
                    case "--unprotected" -> o.protectedMode = !Boolean.parseBoolean(value);
                    default -> throw new IllegalArgumentException("unknown option " + name);
                }
            }
            if (o.home == null || o.port < 0 || o.passwordFile == null) {
                throw new IllegalArgumentException("--home, --port and --password-file are required");
            }
            if (o.importDir == null) {
                o.importDir = o.home.resolve("import");
            }
            if (o.httpPort == o.port) {
                throw new IllegalArgumentException("--http-port must differ from --port");
            }
            return o;
        }

        private static int parsePort(String value) {
            try {
                int port = Integer.parseInt(value);
                if (port < 1 || port > 65535) {
                    throw new IllegalArgumentException("port out of range: " + value);
                }
                return port;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a port: " + value);
            }
        }

        private static long parseBytes(String value) {
            try {
                return ByteUnit.parse(value);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("not a memory size: " + value);
            }
        }
    }
}
