package dev.cloche.cli;

import dev.cloche.api.PortLayer;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

@Command(name = "state", description = "Show a container's run state and its processes' states.")
final class HandleStateCommand implements Callable<Integer> {
    @ParentCommand
    HandleCommand parent;

    @Parameters(paramLabel = "ID")
    String id;

    @Override
    public Integer call() {
        PortLayer.State s = parent.parent.portLayer().state(id);
        System.out.println(s.runState());
        print("main", s.main());
        s.execs().forEach(p -> print("exec", p));
        return 0;
    }

    private static void print(String kind, PortLayer.ProcessState p) {
        StringBuilder sb = new StringBuilder(kind).append(' ').append(p.id()).append(' ').append(p.status());
        p.pid().ifPresent(v -> sb.append(" pid=").append(v));
        p.exitCode().ifPresent(v -> sb.append(" exit=").append(v));
        p.started().ifPresent(v -> sb.append(" started=").append(v));
        p.finished().ifPresent(v -> sb.append(" finished=").append(v));
        System.out.println(sb);
    }
}
