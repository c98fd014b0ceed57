package dev.cloche.console.files;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Optional;

/**
 * The files of one container, as seen from inside it: every path is absolute and normalized in the container's own
 * mount namespace, never a host path. Failures are the NIO exceptions SFTP maps to its status codes
 * ({@link java.nio.file.NoSuchFileException}, {@link java.nio.file.FileAlreadyExistsException},
 * {@link java.nio.file.DirectoryNotEmptyException}, ...).
 */
public interface ContainerFiles {

    /** The file's attributes, not following a final symbolic link unless {@code follow}; empty when it does not exist. */
    Optional<FileStat> stat(String path, boolean follow) throws IOException;

    /** The entries of a directory (not "." and ".."), with their attributes. */
    List<Entry> list(String directory) throws IOException;

    /** Copies a regular file's bytes into {@code to}. */
    void read(String path, OutputStream to) throws IOException;

    /** Replaces (or creates) a regular file with the bytes of {@code from}. */
    void write(String path, InputStream from) throws IOException;

    void createDirectory(String path) throws IOException;

    /** Removes a file, a symbolic link or an empty directory. */
    void delete(String path) throws IOException;

    void rename(String from, String to, boolean replace) throws IOException;

    /** Sets the permission bits (the low 12 bits of {@code mode}). */
    void chmod(String path, int mode) throws IOException;

    /** Sets the modification time, in seconds since the epoch. */
    void setModifiedTime(String path, long epochSeconds) throws IOException;

    record Entry(String name, FileStat stat) {}
}
