package dev.cloche.console.files;

import java.io.IOException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.util.List;
import org.apache.sshd.common.file.util.BasePath;

/** A path in a container's file system. {@link #toFile()} is unsupported: it has no host file. */
public final class ContainerPath extends BasePath<ContainerPath, ContainerFileSystem> {

    ContainerPath(ContainerFileSystem fs, String root, List<String> names) {
        super(fs, root, names);
    }

    /** Absolute and normalized; "/.." stays "/" (the container's root is the top). No symbolic links are resolved. */
    @Override
    public ContainerPath toRealPath(LinkOption... options) throws IOException {
        ContainerPath real = toAbsolutePath().normalize();
        if (getFileSystem().files().stat(real.toString(), false).isEmpty()) {
            throw new NoSuchFileException(toString());
        }
        return real;
    }
}
