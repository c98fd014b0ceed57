package dev.cloche.cli;

import dev.cloche.api.Container;
import dev.cloche.api.GardenException;
import dev.cloche.api.Process;
import dev.cloche.api.ProcessIO;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.OutputStream;
import java.util.Optional;
import java.util.function.Function;

/** Runs or attaches a process with this terminal's stdio, in raw mode when {@code tty}; returns its exit code. */
final class Interactive {
    private Interactive() {}

    static int attach(Container container, boolean tty, boolean stdin, Function<ProcessIO, Process> start) {
        // Unbuffered descriptors: output must appear as the process writes it, not when the CLI exits.
        OutputStream out = new FileOutputStream(FileDescriptor.out);
        OutputStream err = new FileOutputStream(FileDescriptor.err);
        ProcessIO io = new ProcessIO(stdin ? Optional.of(System.in) : Optional.empty(), Optional.of(out),
                tty ? Optional.empty() : Optional.of(err));
        Optional<Terminal> terminal = tty ? Terminal.raw() : Optional.empty();
        try {
            Process p;
            try {
                p = start.apply(io);
            } catch (GardenException e) {
                terminal.ifPresent(Terminal::close);
                System.err.println("cloche: " + e.getMessage());
                return RunCommand.START_FAILED;
            }
            if (tty) {
                Terminal.onResize(p::setTty);
            }
            return p.await();
        } finally {
            terminal.ifPresent(Terminal::close);
        }
    }
}
