package dev.cloche.console;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** The real OpenSSH client, with sshpass for the password. */
final class Ssh {
    private Ssh() {}

    record Result(int exit, String stdout, String stderr) {}

    static List<String> argv(int port, String task, String token, String... extra) {
        List<String> cmd = new ArrayList<>(List.of("sshpass", "-p", token, "ssh", "-p", Integer.toString(port),
                "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
                "-o", "PreferredAuthentications=password", "-o", "PubkeyAuthentication=no", "-o", "ConnectTimeout=20",
                "-o", "NumberOfPasswordPrompts=1"));
        cmd.addAll(List.of(extra));
        cmd.add(task + "@127.0.0.1");
        return cmd;
    }

    static Process start(int port, String task, String token, List<String> extra, String... command) throws IOException {
        List<String> cmd = argv(port, task, token, extra.toArray(String[]::new));
        cmd.addAll(List.of(command));
        return new ProcessBuilder(cmd).start();
    }

    static Result run(int port, String task, String token, String input, String command) {
        try {
            Process p = start(port, task, token, List.of(), command);
            CompletableFuture<String> out = CompletableFuture.supplyAsync(() -> read(p.getInputStream()));
            CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> read(p.getErrorStream()));
            p.getOutputStream().write(input.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("ssh did not finish: " + command);
            }
            return new Result(p.exitValue(), out.get(30, TimeUnit.SECONDS), err.get(30, TimeUnit.SECONDS));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static String read(InputStream in) {
        try (in) {
            ByteArrayOutputStream b = new ByteArrayOutputStream();
            in.transferTo(b);
            return b.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
