package dev.cloche.cli;

import dev.cloche.api.ImagePruneReport;
import dev.cloche.client.RemoteGardenClient;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

@Command(name = "prune", description = "Remove every cached image no container uses, and print what was removed.")
final class ImagesPruneCommand implements Callable<Integer> {
    @ParentCommand
    ImagesCommand images;

    @Override
    public Integer call() {
        try (RemoteGardenClient c = images.parent.client()) {
            System.out.println(render(c.pruneImages()));
        }
        return 0;
    }

    /** {@code removed 2 images, 3 layers, 1.8 MiB}, or that nothing was. */
    static String render(ImagePruneReport r) {
        if (r.images() == 0 && r.layers() == 0) {
            return "nothing to remove: no cached image is unused";
        }
        return "removed " + ImagesCommand.plural(r.images(), "image") + ", " + ImagesCommand.plural(r.layers(), "layer")
                + ", " + Sizes.human(r.bytes());
    }
}
