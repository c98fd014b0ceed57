package dev.cloche.testkit.registry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The token server of a registry with {@code auth: token}: on loopback, it checks one user's basic credentials and
 * hands out RS256 JWTs (the signing certificate in the {@code x5c} header, self-signed, and the registry's
 * {@code rootcertbundle}) granting the scopes asked for. Anonymous and wrong credentials get a 401.
 */
public final class TokenServer implements AutoCloseable {
    public static final String ISSUER = "cloche-test-issuer";
    public static final String SERVICE = "cloche-test-registry";

    private final HttpServer server;
    private final LocalRegistry.Credentials user;
    private final PrivateKey key;
    private final String certificate;
    private final Path certificateFile;
    private final AtomicInteger issued = new AtomicInteger();

    /** Makes a key and a self-signed certificate in {@code dir} (openssl) and starts serving {@code /token}. */
    TokenServer(Path dir, LocalRegistry.Credentials user) throws IOException {
        this.user = user;
        Path keyFile = dir.resolve("token-key.pem");
        this.certificateFile = dir.resolve("token-cert.pem");
        Programs.run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyFile.toString(),
                "-out", certificateFile.toString(), "-subj", "/CN=" + ISSUER, "-days", "2");
        try {
            byte[] der = pem(Files.readString(keyFile), "PRIVATE KEY");
            this.key = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
            Certificate cert;
            try (InputStream in = Files.newInputStream(certificateFile)) {
                cert = CertificateFactory.getInstance("X.509").generateCertificate(in);
            }
            this.certificate = Base64.getEncoder().encodeToString(cert.getEncoded());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot load the token server's key", e);
        }
        server = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        server.createContext("/token", this::token);
        server.start();
    }

    /** The realm a registry sends clients to. */
    public String realm() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/token";
    }

    /** The certificate the registry trusts (its {@code rootcertbundle}). */
    Path certificateFile() {
        return certificateFile;
    }

    /** How many tokens were handed out (a client that caches asks once per repository). */
    public int issued() {
        return issued.get();
    }

    private void token(HttpExchange exchange) throws IOException {
        try (exchange) {
            String expected = "Basic " + Base64.getEncoder().encodeToString(
                    (user.username() + ":" + user.password()).getBytes(StandardCharsets.UTF_8));
            if (!expected.equals(exchange.getRequestHeaders().getFirst("Authorization"))) {
                send(exchange, 401, "{\"details\":\"wrong or no credentials\"}");
                return;
            }
            List<String> access = new ArrayList<>();
            String query = exchange.getRequestURI().getRawQuery() == null ? "" : exchange.getRequestURI().getRawQuery();
            for (String pair : query.split("&")) {
                if (!pair.startsWith("scope=")) continue;
                String[] scope = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8).split(":");
                if (scope.length != 3) continue;
                String actions = String.join(",", List.of(scope[2].split(",")).stream().map(a -> "\"" + a + "\"").toList());
                access.add("{\"type\":\"" + scope[0] + "\",\"name\":\"" + scope[1] + "\",\"actions\":[" + actions + "]}");
            }
            long now = Instant.now().getEpochSecond();
            String header = "{\"alg\":\"RS256\",\"typ\":\"JWT\",\"x5c\":[\"" + certificate + "\"]}";
            String claims = "{\"iss\":\"" + ISSUER + "\",\"sub\":\"" + user.username() + "\",\"aud\":\"" + SERVICE
                    + "\",\"exp\":" + (now + 300) + ",\"nbf\":" + (now - 10) + ",\"iat\":" + now + ",\"jti\":\""
                    + UUID.randomUUID() + "\",\"access\":[" + String.join(",", access) + "]}";
            String signingInput = base64Url(header) + "." + base64Url(claims);
            String jwt = signingInput + "." + Base64.getUrlEncoder().withoutPadding().encodeToString(sign(signingInput));
            issued.incrementAndGet();
            send(exchange, 200, "{\"token\":\"" + jwt + "\",\"expires_in\":300}");
        }
    }

    private byte[] sign(String input) {
        try {
            Signature s = Signature.getInstance("SHA256withRSA");
            s.initSign(key);
            s.update(input.getBytes(StandardCharsets.US_ASCII));
            return s.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String base64Url(String json) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(json.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] pem(String text, String type) {
        int begin = text.indexOf("-----BEGIN " + type + "-----");
        int end = text.indexOf("-----END " + type + "-----");
        if (begin < 0 || end < 0) throw new IllegalStateException("no " + type + " in the PEM file");
        return Base64.getMimeDecoder().decode(text.substring(begin + type.length() + 16, end));
    }

    private static void send(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
