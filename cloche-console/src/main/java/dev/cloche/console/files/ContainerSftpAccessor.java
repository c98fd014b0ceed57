package dev.cloche.console.files;

import java.io.IOException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.security.Principal;
import java.util.Collection;
import java.util.Set;
import java.nio.file.attribute.FileAttribute;
import org.apache.sshd.sftp.server.DirectoryHandle;
import org.apache.sshd.sftp.server.FileHandle;
import org.apache.sshd.sftp.server.SftpFileSystemAccessor;
import org.apache.sshd.sftp.server.SftpSubsystemProxy;

/**
 * How MINA's SFTP subsystem reaches a {@link ContainerFileSystem}: a path whose ".." would climb above the container's
 * root is refused (permission denied) before anything runs; files and directories open through the container
 * provider (MINA's defaults assume host files: secure directory streams, file channels); owners are not changed.
 */
public final class ContainerSftpAccessor implements SftpFileSystemAccessor {

    @Override
    public Path resolveLocalFilePath(SftpSubsystemProxy subsystem, Path rootDir, String remotePath) throws IOException {
        refuseClimb(remotePath);
        return SftpFileSystemAccessor.super.resolveLocalFilePath(subsystem, rootDir, remotePath);
    }

    /** Refuses a path in which ".." would go above "/" (relative paths start at "/", the default directory). */
    static void refuseClimb(String remotePath) throws AccessDeniedException {
        int depth = 0;
        for (String segment : remotePath.split("/")) {
            if (segment.equals("..")) {
                if (--depth < 0) {
                    throw new AccessDeniedException(remotePath, null, "'..' climbs out of the container's root");
                }
            } else if (!segment.isEmpty() && !segment.equals(".")) {
                depth++;
            }
        }
    }

    @Override
    public SeekableByteChannel openFile(SftpSubsystemProxy subsystem, FileHandle fileHandle, Path file, String handle,
                                        Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
        return file.getFileSystem().provider().newByteChannel(file, options, attrs);
    }

    @Override
    public DirectoryStream<Path> openDirectory(SftpSubsystemProxy subsystem, DirectoryHandle dirHandle, Path dir,
                                               String handle, LinkOption... linkOptions) throws IOException {
        return Files.newDirectoryStream(dir);
    }

    @Override
    public void removeFile(SftpSubsystemProxy subsystem, Path path, boolean isDirectory) throws IOException {
        Files.delete(path);
    }

    @Override
    public void renameFile(SftpSubsystemProxy subsystem, Path oldPath, Path newPath, Collection<CopyOption> opts)
            throws IOException {
        Files.move(oldPath, newPath, opts.toArray(CopyOption[]::new));
    }

    @Override
    public void setFileOwner(SftpSubsystemProxy subsystem, Path path, Principal value, LinkOption... options) {
        throw new UnsupportedOperationException("changing owners of container files is not offered");
    }

    @Override
    public void setGroupOwner(SftpSubsystemProxy subsystem, Path path, Principal value, LinkOption... options) {
        throw new UnsupportedOperationException("changing groups of container files is not offered");
    }
}
