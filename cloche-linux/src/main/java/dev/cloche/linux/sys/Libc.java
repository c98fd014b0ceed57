package dev.cloche.linux.sys;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The FFM plumbing every libc call of the backend shares: a downcall handle by symbol name, and errno captured right
 * after the call ({@link #ERRNO} as a linker option, read back with {@link #errno} from a segment of
 * {@link #CALL_STATE}), since anything the JVM does between the call and a later {@code errno} read may change it.
 */
public final class Libc {
    public static final StructLayout CALL_STATE = Linker.Option.captureStateLayout();
    public static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final VarHandle ERRNO_VALUE = CALL_STATE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker LINKER = Linker.nativeLinker();

    private Libc() {}

    /** A downcall handle for libc's {@code name}; the symbol must exist. */
    public static MethodHandle fn(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, options);
    }

    /** The errno a call with {@link #ERRNO} captured into {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO_VALUE.get(state, 0L);
    }
}
