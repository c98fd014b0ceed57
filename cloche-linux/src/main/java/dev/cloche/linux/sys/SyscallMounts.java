package dev.cloche.linux.sys;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import dev.cloche.api.GardenError;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;

/** mount(2) and umount2(2) through FFM; errors carry the errno's text, as the commands would print it. */
final class SyscallMounts implements Mounts {
    static final SyscallMounts INSTANCE = new SyscallMounts();
    private static final int EINTR = 4;
    private static final int MNT_DETACH = 2;

    private static final MethodHandle MOUNT = Libc.fn("mount",
            FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), Libc.ERRNO);
    private static final MethodHandle UMOUNT2 = Libc.fn("umount2", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Libc.ERRNO);
    private static final MethodHandle STRERROR = Libc.fn("strerror", FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private SyscallMounts() {}

    @Override
    public void mount(String source, Path target, String type, long flags, String data) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            MemorySegment options = data.isEmpty() ? MemorySegment.NULL : a.allocateFrom(data);
            while (true) {
                int r = (int) MOUNT.invokeExact(st, a.allocateFrom(source), a.allocateFrom(target.toString()),
                        a.allocateFrom(type), flags, options);
                if (r == 0) return;
                int errno = Libc.errno(st);
                if (errno != EINTR) {
                    throw GardenError.internal("mount -t " + type + " " + source + " " + target + " (" + data + "): " + text(errno));
                }
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    @Override
    public void unmount(Path target) {
        umount2(target, 0);
    }

    @Override
    public void detach(Path target) {
        umount2(target, MNT_DETACH);
    }

    private static void umount2(Path target, int flags) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment st = a.allocate(Libc.CALL_STATE);
            while (true) {
                int r = (int) UMOUNT2.invokeExact(st, a.allocateFrom(target.toString()), flags);
                if (r == 0) return;
                int errno = Libc.errno(st);
                if (errno != EINTR) throw GardenError.internal("umount " + target + ": " + text(errno));
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static String text(int errno) throws Throwable {
        MemorySegment s = (MemorySegment) STRERROR.invokeExact(errno);
        return s.reinterpret(256).getString(0) + " (errno " + errno + ")";
    }
}
