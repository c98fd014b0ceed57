package dev.cloche.console;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;

/** A request the console does not serve: its reason on stderr, exit status 1. */
final class RefusedCommand implements Command {
    private final String reason;
    private OutputStream err;
    private ExitCallback exit;

    RefusedCommand(String reason) {
        this.reason = reason;
    }

    /** OpenSSH's legacy scp protocol ({@code scp -O}) runs "scp -t" (to) or "scp -f" (from) on the server. */
    static boolean isLegacyScp(String command) {
        return command.strip().matches("scp(\\s.*)?\\s-[A-Za-z]*[tf][A-Za-z]*(\\s.*)?");
    }

    @Override
    public void setInputStream(java.io.InputStream in) {}

    @Override
    public void setOutputStream(OutputStream out) {}

    @Override
    public void setErrorStream(OutputStream err) {
        this.err = err;
    }

    @Override
    public void setExitCallback(ExitCallback exit) {
        this.exit = exit;
    }

    @Override
    public void start(ChannelSession channel, Environment env) {
        try {
            err.write((reason + "\n").getBytes(StandardCharsets.UTF_8));
            err.flush();
        } catch (IOException e) {
            // the client left: the exit status below is all that is left to send
        }
        exit.onExit(1, reason);
    }

    @Override
    public void destroy(ChannelSession channel) {}
}
