package dev.cloche.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Certificates for TLS tests, made with the real {@code openssl} (a Makefile dependency) in a directory: two
 * independent CAs, a server certificate for 127.0.0.1 and localhost from {@link #ca()}, and a client certificate from
 * each CA ({@link #client()} is trusted by a server requiring {@link #ca()}; {@link #strangerClient()} is not).
 * Keys are EC P-256, unencrypted PKCS#8 PEM.
 */
public final class TestPki {
    /** A PEM certificate and its key. */
    public record Pair(Path certificate, Path key) {}

    private final Path ca;
    private final Path strangerCa;
    private final Pair server;
    private final Pair client;
    private final Pair strangerClient;

    private TestPki(Path dir) {
        Pair caPair = selfSigned(dir, "ca", "/CN=cloche test CA");
        Pair otherPair = selfSigned(dir, "stranger-ca", "/CN=another CA");
        this.ca = caPair.certificate();
        this.strangerCa = otherPair.certificate();
        this.server = issued(dir, caPair, "server", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1,DNS:localhost");
        this.client = issued(dir, caPair, "client", "/O=cloche/CN=alice", "extendedKeyUsage=clientAuth");
        this.strangerClient = issued(dir, otherPair, "stranger", "/CN=mallory", "extendedKeyUsage=clientAuth");
    }

    /** Makes everything in {@code dir} (which must exist). */
    public static TestPki in(Path dir) {
        return new TestPki(dir);
    }

    public Path ca() {
        return ca;
    }

    public Path strangerCa() {
        return strangerCa;
    }

    public Pair server() {
        return server;
    }

    public Pair client() {
        return client;
    }

    public Pair strangerClient() {
        return strangerClient;
    }

    private static Pair selfSigned(Path dir, String name, String subject) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + "-key.pem");
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                "-subj", subject, "-keyout", key.toString(), "-out", cert.toString(),
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
        return new Pair(cert, key);
    }

    private static Pair issued(Path dir, Pair ca, String name, String subject, String extension) {
        Path cert = dir.resolve(name + ".pem");
        Path key = dir.resolve(name + "-key.pem");
        Path csr = dir.resolve(name + ".csr");
        Path ext = dir.resolve(name + ".ext");
        try {
            Files.writeString(ext, extension + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-subj", subject,
                "-keyout", key.toString(), "-out", csr.toString());
        openssl("x509", "-req", "-in", csr.toString(), "-CA", ca.certificate().toString(), "-CAkey", ca.key().toString(),
                "-CAcreateserial", "-days", "2", "-extfile", ext.toString(), "-out", cert.toString());
        return new Pair(cert, key);
    }

    private static void openssl(String... args) {
        List<String> argv = new ArrayList<>(List.of("openssl"));
        argv.addAll(List.of(args));
        HostCommand.check(argv);
    }
}
