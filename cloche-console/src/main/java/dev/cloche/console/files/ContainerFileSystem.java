package dev.cloche.console.files;

import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Set;
import org.apache.sshd.common.file.util.BaseFileSystem;

/**
 * One container's files as a {@link java.nio.file.FileSystem}, for MINA's SFTP subsystem: one per SSH session, over
 * the task's {@link ContainerFiles}. The default directory is "/" (an image need not have a home directory).
 * Closing it releases nothing but the session's view: the container and its files stay.
 */
public final class ContainerFileSystem extends BaseFileSystem<ContainerPath> {
    private final ContainerFiles files;
    private final StatCache stats = new StatCache();
    private volatile boolean open = true;

    public ContainerFileSystem(ContainerFileSystemProvider provider, ContainerFiles files) {
        super(provider);
        this.files = files;
    }

    ContainerFiles files() {
        return files;
    }

    StatCache stats() {
        return stats;
    }

    @Override
    protected ContainerPath create(String root, List<String> names) {
        return new ContainerPath(this, root, names);
    }

    @Override
    public ContainerPath getDefaultDir() {
        return getPath("/");
    }

    @Override
    public void close() {
        open = false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public Set<String> supportedFileAttributeViews() {
        return Set.of("basic", "posix", "owner", "unix");
    }

    @Override
    public UserPrincipalLookupService getUserPrincipalLookupService() {
        throw new UnsupportedOperationException("the container's users are not looked up by name");
    }
}
