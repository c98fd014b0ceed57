package dev.cloche.console;

import dev.cloche.console.files.ContainerFileSystemProvider;
import dev.cloche.console.files.ShellContainerFiles;
import java.io.IOException;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import org.apache.sshd.common.file.FileSystemFactory;
import org.apache.sshd.common.session.SessionContext;

/** SFTP's file system for a session: the files of its task's container, never the host's. */
final class TaskFileSystemFactory implements FileSystemFactory {
    private final ContainerFileSystemProvider provider = new ContainerFileSystemProvider();

    /** None: the container file system's own default directory ("/") is where SFTP starts. */
    @Override
    public Path getUserHomeDir(SessionContext session) {
        return null;
    }

    @Override
    public FileSystem createFileSystem(SessionContext session) throws IOException {
        SshConsole.Attached attached = session.getAttribute(SshConsole.ATTACHED);
        if (attached == null) {
            throw new IOException("SFTP before authentication");
        }
        return provider.newFileSystem(new ShellContainerFiles(attached.task().container()));
    }
}
