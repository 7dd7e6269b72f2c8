package dev.hfwebhooks.handler;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jspecify.annotations.Nullable;

/**
 * Starts processes with the C library's {@code posix_spawnp}, called through the foreign function
 * API (Java 22+; see {@link Launcher} for why). Linux with glibc 2.34+ only: the child's file
 * descriptors beyond stdin, stdout and stderr are closed with {@code closefrom}, and its working
 * directory is set with {@code chdir}, both glibc extensions; {@link #load} returns null where they
 * are missing, and the JDK's launcher is used instead.
 *
 * <p>The parent's ends of the pipes become ordinary {@link FileInputStream}s and {@link
 * FileOutputStream}s by opening {@code /proc/self/fd/N}, so reads block the way the JDK's process
 * streams do (a virtual thread reading one does not hold its carrier).
 */
final class PosixSpawn implements Launcher {
  private static final int O_CLOEXEC = 0x80000; // the same on every Linux architecture
  private static final int EINTR = 4;
  private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
  private static final int SIGKILL = 9;
  private static final int SIGTERM = 15;

  /** glibc's posix_spawn_file_actions_t (80 bytes), posix_spawnattr_t (336), sigset_t (128). */
  private static final long OPAQUE_BYTES = 512;

  private final MethodHandle pipe2;
  private final MethodHandle close;
  private final MethodHandle actionsInit;
  private final MethodHandle actionsDestroy;
  private final MethodHandle addDup2;
  private final MethodHandle addCloseFrom;
  private final MethodHandle addChdir;
  private final MethodHandle attrInit;
  private final MethodHandle attrDestroy;
  private final MethodHandle attrSetFlags;
  private final MethodHandle attrSetSigMask;
  private final MethodHandle sigEmptySet;
  private final MethodHandle spawnp;
  private final MethodHandle waitpid;
  private final MethodHandle kill;
  private final MethodHandle strerror;
  private final VarHandle errno;
  private final long errnoBytes;

  /**
   * Waits for each child to end and reaps it. A blocking native call holds its thread, so these are
   * platform threads, one per running child, reused (as the JDK's own process reaper does).
   */
  private final ExecutorService reapers =
      Executors.newCachedThreadPool(
          Thread.ofPlatform().daemon().name("hf-webhooks-reaper-", 0).factory());

  private PosixSpawn(SymbolLookup libc, Linker linker) {
    C c = new C(libc, linker);
    StructLayout stateLayout = Linker.Option.captureStateLayout();
    errno = stateLayout.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    errnoBytes = stateLayout.byteSize();
    pipe2 = c.withErrno("pipe2", JAVA_INT, ADDRESS, JAVA_INT);
    close = c.function("close", JAVA_INT, JAVA_INT);
    actionsInit = c.function("posix_spawn_file_actions_init", JAVA_INT, ADDRESS);
    actionsDestroy = c.function("posix_spawn_file_actions_destroy", JAVA_INT, ADDRESS);
    addDup2 = c.function("posix_spawn_file_actions_adddup2", JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT);
    addCloseFrom =
        c.function("posix_spawn_file_actions_addclosefrom_np", JAVA_INT, ADDRESS, JAVA_INT);
    addChdir = c.function("posix_spawn_file_actions_addchdir_np", JAVA_INT, ADDRESS, ADDRESS);
    attrInit = c.function("posix_spawnattr_init", JAVA_INT, ADDRESS);
    attrDestroy = c.function("posix_spawnattr_destroy", JAVA_INT, ADDRESS);
    attrSetFlags = c.function("posix_spawnattr_setflags", JAVA_INT, ADDRESS, JAVA_SHORT);
    attrSetSigMask = c.function("posix_spawnattr_setsigmask", JAVA_INT, ADDRESS, ADDRESS);
    sigEmptySet = c.function("sigemptyset", JAVA_INT, ADDRESS);
    spawnp =
        c.function("posix_spawnp", JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS);
    waitpid = c.withErrno("waitpid", JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT);
    kill = c.function("kill", JAVA_INT, JAVA_INT, JAVA_INT);
    strerror = c.function("strerror", ADDRESS, JAVA_INT);
  }

  /** Looks up C library functions; a missing one throws, and {@link #load} gives up. */
  private record C(SymbolLookup libc, Linker linker) {
    MethodHandle function(String name, MemoryLayout result, MemoryLayout... arguments) {
      return linker.downcallHandle(
          libc.find(name).orElseThrow(), FunctionDescriptor.of(result, arguments));
    }

    /** One whose errno is captured: the handle's first argument is where it goes. */
    MethodHandle withErrno(String name, MemoryLayout result, MemoryLayout... arguments) {
      return linker.downcallHandle(
          libc.find(name).orElseThrow(),
          FunctionDescriptor.of(result, arguments),
          Linker.Option.captureCallState("errno"));
    }
  }

  /** Linked once per JVM: the method handles and the reaper threads serve every caller. */
  private static final class Shared {
    static final @Nullable PosixSpawn INSTANCE = link();

    private static @Nullable PosixSpawn link() {
      try {
        Linker linker = Linker.nativeLinker();
        return new PosixSpawn(linker.defaultLookup(), linker);
      } catch (RuntimeException e) {
        return null; // a symbol is missing
      }
    }
  }

  /** The launcher, or null when this C library lacks what it needs (not glibc, or before 2.34). */
  static @Nullable Launcher load() {
    return Shared.INSTANCE;
  }

  @Override
  public String name() {
    return "posix_spawn";
  }

  @Override
  public Process start(List<String> command, Path directory, Map<String, String> environment)
      throws IOException {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment fds = arena.allocate(JAVA_INT, 6);
      MemorySegment state = arena.allocate(errnoBytes);
      int opened = 0;
      try {
        for (; opened < 3; opened++) {
          if ((int) pipe2.invokeExact(state, fds.asSlice(opened * 8L, 8), O_CLOEXEC) != 0) {
            int error = (int) errno.get(state, 0L);
            throw new IOException(
                "Cannot run program \"%s\": no pipe: error=%d, %s"
                    .formatted(command.getFirst(), error, describe(error)));
          }
        }
        int stdinRead = fds.getAtIndex(JAVA_INT, 0);
        int stdinWrite = fds.getAtIndex(JAVA_INT, 1);
        int stdoutRead = fds.getAtIndex(JAVA_INT, 2);
        int stdoutWrite = fds.getAtIndex(JAVA_INT, 3);
        int stderrRead = fds.getAtIndex(JAVA_INT, 4);
        int stderrWrite = fds.getAtIndex(JAVA_INT, 5);
        if (Math.min(Math.min(stdinRead, stdoutWrite), stderrWrite) < 3) {
          // This server runs with stdin, stdout or stderr closed, so a pipe got one of their
          // numbers and the dup2 actions would overwrite each other: the JDK sorts that out.
          return new Launcher.Jdk().start(command, directory, environment);
        }
        int pid =
            spawn(arena, command, directory, environment, stdinRead, stdoutWrite, stderrWrite);
        Child child = new Child(pid);
        try {
          // Opened while this process still holds the other end of each pipe: opening one end
          // of a pipe waits until its other end is open, and the child may already have exited.
          child.stdin = new FileOutputStream(proc(stdinWrite));
          child.stdout = new FileInputStream(proc(stdoutRead));
          child.stderr = new FileInputStream(proc(stderrRead));
        } catch (IOException e) {
          // Out of file descriptors, say: a child nobody can talk to is ended, not left running.
          child.destroyForcibly();
          child.stdin.close();
          child.stdout.close();
          throw e;
        }
        return child;
      } finally {
        // The child has its copies (or was never started); these are all the parent's originals.
        for (int i = 0; i < opened * 2; i++) {
          int ignored = (int) close.invokeExact(fds.getAtIndex(JAVA_INT, i));
        }
      }
    } catch (IOException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IOException(e);
    }
  }

  private int spawn(
      Arena arena,
      List<String> command,
      Path directory,
      Map<String, String> environment,
      int stdin,
      int stdout,
      int stderr)
      throws Throwable {
    MemorySegment actions = arena.allocate(OPAQUE_BYTES, 16);
    MemorySegment attributes = arena.allocate(OPAQUE_BYTES, 16);
    MemorySegment noSignals = arena.allocate(OPAQUE_BYTES, 16);
    check((int) actionsInit.invokeExact(actions), "posix_spawn_file_actions_init");
    try {
      check((int) attrInit.invokeExact(attributes), "posix_spawnattr_init");
      try {
        check((int) addDup2.invokeExact(actions, stdin, 0), "adddup2");
        check((int) addDup2.invokeExact(actions, stdout, 1), "adddup2");
        check((int) addDup2.invokeExact(actions, stderr, 2), "adddup2");
        // Nothing else of the server's (sockets, the journal, jars) reaches the handler.
        check((int) addCloseFrom.invokeExact(actions, 3), "addclosefrom_np");
        check(
            (int) addChdir.invokeExact(actions, arena.allocateFrom(directory.toString())),
            "addchdir_np");
        // The calling thread may block signals (the JVM's threads do); the handler starts with
        // none blocked, as it would from a shell.
        check((int) sigEmptySet.invokeExact(noSignals), "sigemptyset");
        check((int) attrSetSigMask.invokeExact(attributes, noSignals), "setsigmask");
        check((int) attrSetFlags.invokeExact(attributes, POSIX_SPAWN_SETSIGMASK), "setflags");

        MemorySegment argv = strings(arena, command);
        MemorySegment envp =
            strings(
                arena,
                environment.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).toList());
        MemorySegment pid = arena.allocate(JAVA_INT);
        int error =
            (int)
                spawnp.invokeExact(
                    pid, argv.getAtIndex(ADDRESS, 0), actions, attributes, argv, envp);
        if (error != 0) {
          throw new IOException(
              "Cannot run program \"%s\" (in directory \"%s\"): error=%d, %s"
                  .formatted(command.getFirst(), directory, error, describe(error)));
        }
        return pid.get(JAVA_INT, 0);
      } finally {
        int ignored = (int) attrDestroy.invokeExact(attributes);
      }
    } finally {
      int ignored = (int) actionsDestroy.invokeExact(actions);
    }
  }

  /** A NULL-terminated array of C strings. */
  private static MemorySegment strings(Arena arena, List<String> values) throws IOException {
    MemorySegment array = arena.allocate(ADDRESS, values.size() + 1L);
    for (int i = 0; i < values.size(); i++) {
      if (values.get(i).indexOf('\0') >= 0) {
        // C would cut the string there; the JDK refuses such strings too.
        throw new IOException("an argument or environment variable contains a NUL character");
      }
      array.setAtIndex(ADDRESS, i, arena.allocateFrom(values.get(i)));
    }
    array.setAtIndex(ADDRESS, values.size(), MemorySegment.NULL);
    return array;
  }

  /** posix_spawn's helpers return their error (ENOMEM at worst) rather than set errno. */
  private static void check(int result, String call) throws IOException {
    if (result != 0) {
      throw new IOException(call + " failed (" + result + ")");
    }
  }

  private String describe(int error) throws Throwable {
    MemorySegment text = (MemorySegment) strerror.invokeExact(error);
    return text.reinterpret(1024).getString(0);
  }

  private static String proc(int fd) {
    return "/proc/self/fd/" + fd;
  }

  /** Blocks until {@code pid} ends, reaps it, and gives its exit status as the JDK reports it. */
  private int reap(int pid) {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment status = arena.allocate(JAVA_INT);
      MemorySegment state = arena.allocate(errnoBytes);
      while (true) {
        int result = (int) waitpid.invokeExact(state, pid, status, 0);
        if (result == pid) {
          int raw = status.get(JAVA_INT, 0);
          int signal = raw & 0x7f;
          return signal == 0 ? (raw >> 8) & 0xff : 128 + signal;
        }
        if ((int) errno.get(state, 0L) != EINTR) {
          throw new IllegalStateException(
              "waitpid(" + pid + ") failed: errno " + errno.get(state, 0L));
        }
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  private void signal(int pid, int signal) {
    try {
      int ignored = (int) kill.invokeExact(pid, signal);
    } catch (Throwable e) {
      throw new IllegalStateException(e);
    }
  }

  /** A child started by posix_spawn, reaped by one of {@link #reapers}. */
  private final class Child extends Process {
    private final int pid;
    private final CompletableFuture<Integer> exit;

    /** Set once by {@link #start}, before the child is handed out; empty until then. */
    private OutputStream stdin = OutputStream.nullOutputStream();

    private InputStream stdout = InputStream.nullInputStream();
    private InputStream stderr = InputStream.nullInputStream();

    Child(int pid) {
      this.pid = pid;
      this.exit = CompletableFuture.supplyAsync(() -> reap(pid), reapers);
    }

    @Override
    public OutputStream getOutputStream() {
      return stdin;
    }

    @Override
    public InputStream getInputStream() {
      return stdout;
    }

    @Override
    public InputStream getErrorStream() {
      return stderr;
    }

    @Override
    public int waitFor() throws InterruptedException {
      try {
        return exit.get();
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
      try {
        exit.get(timeout, unit);
        return true;
      } catch (TimeoutException e) {
        return false;
      } catch (ExecutionException e) {
        throw new IllegalStateException(e.getCause());
      }
    }

    @Override
    public int exitValue() {
      if (!exit.isDone()) {
        throw new IllegalThreadStateException("process " + pid + " has not exited");
      }
      return exit.join();
    }

    /** Signals only a child not yet reaped: once reaped, its pid may belong to another process. */
    @Override
    public void destroy() {
      if (!exit.isDone()) {
        signal(pid, SIGTERM);
      }
    }

    @Override
    public Process destroyForcibly() {
      if (!exit.isDone()) {
        signal(pid, SIGKILL);
      }
      return this;
    }

    @Override
    public boolean supportsNormalTermination() {
      return true;
    }

    @Override
    public boolean isAlive() {
      return !exit.isDone();
    }

    @Override
    public long pid() {
      return pid;
    }

    @Override
    public ProcessHandle toHandle() {
      return ProcessHandle.of(pid)
          .orElseThrow(() -> new IllegalStateException("process " + pid + " has ended"));
    }

    @Override
    public CompletableFuture<Process> onExit() {
      return exit.thenApply(status -> this);
    }

    @Override
    public String toString() {
      return "Process[pid="
          + pid
          + ", exitValue="
          + (exit.isDone() ? exit.join() : "\"not exited\"")
          + "]";
    }
  }
}
