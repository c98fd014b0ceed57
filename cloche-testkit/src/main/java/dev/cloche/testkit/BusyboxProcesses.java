package dev.cloche.testkit;

import dev.cloche.api.ProcessSpec;

/**
 * The conformance suite's processes for a backend whose containers run the busybox test rootfs (`make rootfs`):
 * the same shell commands whatever runs them, so the Linux backend and the engine backends share one definition.
 */
public interface BusyboxProcesses extends BackendUnderTest {

    @Override
    default ProcessSpec echo(String text) {
        return ProcessSpec.of("echo", text);
    }

    @Override
    default ProcessSpec emit(String out, String err, int code) {
        return ProcessSpec.of("sh", "-c", "echo " + out + "; echo " + err + " >&2; exit " + code);
    }

    @Override
    default ProcessSpec sleeper() {
        return ProcessSpec.of("sleep", "1000");
    }

    /** The shell keeps 100000 numbers in a variable, then spins. */
    @Override
    default ProcessSpec busy() {
        return ProcessSpec.of("sh", "-c", "x=$(seq 1 100000); while :; do :; done");
    }

    @Override
    default ProcessSpec serveHttp(int port, String body) {
        return ProcessSpec.of("sh", "-c", "mkdir -p /www && printf %s \"$1\" > /www/index.html && exec httpd -f -p \"$2\" -h /www",
                "sh", body, Integer.toString(port));
    }

    @Override
    default ProcessSpec fetch(String url) {
        return ProcessSpec.of("timeout", "5", "wget", "-q", "-O", "/dev/null", url);
    }
}
