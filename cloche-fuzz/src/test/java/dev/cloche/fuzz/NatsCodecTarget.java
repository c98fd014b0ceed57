package dev.cloche.fuzz;

import dev.cloche.console.MalformedMessageException;
import dev.cloche.console.TaskCodec;
import dev.cloche.console.TaskStart;
import java.util.Arrays;

/**
 * The console's NATS messages (task.start, task.stop, advertisements, replies) as any publisher on the bus could send
 * them. Properties: a malformed message is a {@link MalformedMessageException} and nothing else (the agent answers it
 * and serves on), and a task.start that decodes encodes back to the same start.
 */
public final class NatsCodecTarget {
    private NatsCodecTarget() {}

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) {
            return;
        }
        byte[] payload = Arrays.copyOfRange(input, 1, input.length);
        try {
            switch (Byte.toUnsignedInt(input[0]) % 4) {
                case 0 -> {
                    TaskStart start = TaskCodec.decodeStart(payload);
                    TaskStart again = TaskCodec.decodeStart(TaskCodec.encode(start));
                    if (!start.equals(again)) {
                        throw new IllegalStateException("task.start lost in a round trip: " + start + " became " + again);
                    }
                }
                case 1 -> TaskCodec.decodeStop(payload);
                case 2 -> TaskCodec.decodeAdvertisement(payload);
                default -> TaskCodec.decodeReply(payload);
            }
        } catch (MalformedMessageException e) {
            // the one way a message may be refused
        }
    }
}
