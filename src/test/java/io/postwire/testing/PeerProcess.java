package io.postwire.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A program a test runs next to the service: a server that stays up (Postfix, NSD, smtp-sink, a
 * Node SMTP server) or a tool that runs to its end (python, node, bash).
 *
 * <p>A server: {@code try (PeerProcess nsd = PeerProcess.start("nsd", command, Map.of(), log))
 * {nsd.awaitPort(port, Duration.ofSeconds(20)); …}}. Its standard output and error go to {@code
 * log}; a wait that fails stops it and says why with that log. {@link #close()} stops it and every
 * process it started.
 *
 * <p>A tool: {@code PeerProcess.run("pyspf", command, Map.of(), input, Duration.ofMinutes(2))}.
 */
public final class PeerProcess implements AutoCloseable {

  /** Seconds a stopped program has to exit before it is killed. */
  private static final long STOP_GRACE_SECONDS = 10;

  private final String name;
  private final Process process;
  private final Path log;

  private PeerProcess(String name, Process process, Path log) {
    this.name = name;
    this.process = process;
    this.log = log;
  }

  /**
   * Starts {@code command} with {@code env} added to this JVM's environment (a {@code null} value
   * removes that variable), its standard output and error both appended to {@code log} (so the
   * program may name the same file as its own log).
   *
   * @param name what the program is, for messages ("postfix", "nsd")
   */
  public static PeerProcess start(
      String name, List<String> command, Map<String, String> env, Path log) {
    ProcessBuilder builder =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    environment(builder, env);
    try {
      return new PeerProcess(name, builder.start(), log);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + " (" + command.get(0) + ")", e);
    }
  }

  /** Waits until something accepts TCP connections on 127.0.0.1:{@code port}. */
  public PeerProcess awaitPort(int port, Duration limit) {
    return awaitReady("listen on port " + port, limit, () -> listening(port));
  }

  /** Waits until the program has written {@code marker} to its log. */
  public PeerProcess awaitLog(String marker, Duration limit) {
    return awaitReady("print " + marker, limit, () -> log().contains(marker));
  }

  /**
   * Waits until {@code ready} says true, checking every 100 ms. If the program exits first or the
   * limit passes, stops it and fails with its log.
   *
   * @param what what is waited for, for the message ("answer for its zone")
   */
  public PeerProcess awaitReady(String what, Duration limit, BooleanSupplier ready) {
    long deadline = System.nanoTime() + limit.toNanos();
    while (!ready.getAsBoolean()) {
      if (!process.isAlive()) {
        String output = log();
        close();
        throw new IllegalStateException(name + " exited before it could " + what + ":\n" + output);
      }
      if (System.nanoTime() > deadline) {
        String output = log();
        close();
        throw new IllegalStateException(
            name + " did not " + what + " within " + limit + ":\n" + output);
      }
      sleep(100);
    }
    return this;
  }

  /** Whether the program is still running. */
  public boolean isAlive() {
    return process.isAlive();
  }

  /** Waits at most {@code limit} for the program to end; false if it still runs. */
  public boolean awaitExit(Duration limit) {
    try {
      return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(name + ": interrupted while waiting for its end", e);
    }
  }

  /** The exit code of the program, which has ended. */
  public int exitCode() {
    return process.exitValue();
  }

  /** What the program wrote so far (standard output and error). */
  public String log() {
    try {
      return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
    } catch (IOException e) {
      return "(log unreadable: " + e.getMessage() + ")";
    }
  }

  /**
   * Stops the program (SIGTERM, then SIGKILL after {@value #STOP_GRACE_SECONDS} s) and every
   * process it started, such as Postfix's daemons.
   */
  @Override
  public void close() {
    List<ProcessHandle> children = process.descendants().toList();
    stop(process.toHandle());
    for (ProcessHandle child : children) {
      stop(child);
    }
  }

  private static void stop(ProcessHandle handle) {
    handle.destroy();
    try {
      handle.onExit().get(STOP_GRACE_SECONDS, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      handle.destroyForcibly();
    } catch (Exception notYet) {
      handle.destroyForcibly();
    }
  }

  /** How a tool ended: its exit code and what it wrote. */
  public record Result(String name, int exitCode, String stdout, String stderr) {

    /** The standard output, or an AssertionError with both outputs when the exit code is not 0. */
    public String stdoutIfSucceeded() {
      if (exitCode != 0) {
        throw new AssertionError(
            name + " exited with " + exitCode + "\nstdout:\n" + stdout + "\nstderr:\n" + stderr);
      }
      return stdout;
    }
  }

  /**
   * Runs a tool to its end: writes {@code stdin} (may be empty) to it, waits at most {@code limit}
   * (then kills it and fails), and returns its exit code and outputs.
   */
  public static Result run(
      String name, List<String> command, Map<String, String> env, byte[] stdin, Duration limit) {
    Path dir = null;
    try {
      dir = Files.createTempDirectory("peer-" + name.replaceAll("[^A-Za-z0-9]", "_"));
      Path out = dir.resolve("stdout");
      Path err = dir.resolve("stderr");
      ProcessBuilder builder =
          new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      environment(builder, env);
      Process process = builder.start();
      // written from another thread: a tool that answers while it reads must not block on us
      Thread writer =
          new Thread(
              () -> {
                try (OutputStream in = process.getOutputStream()) {
                  in.write(stdin);
                } catch (IOException e) {
                  // the tool ended early; its exit code says why
                }
              },
              name + "-stdin");
      writer.setDaemon(true);
      writer.start();
      if (!process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
        new PeerProcess(name, process, err).close();
        throw new AssertionError(
            name + " did not finish within " + limit + "; stderr:\n" + Files.readString(err));
      }
      return new Result(
          name,
          process.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run " + name + " (" + command.get(0) + ")", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(name + " interrupted", e);
    } finally {
      if (dir != null) {
        deleteQuietly(dir);
      }
    }
  }

  private static void environment(ProcessBuilder builder, Map<String, String> env) {
    for (Map.Entry<String, String> variable : env.entrySet()) {
      if (variable.getValue() == null) {
        builder.environment().remove(variable.getKey());
      } else {
        builder.environment().put(variable.getKey(), variable.getValue());
      }
    }
  }

  private static void deleteQuietly(Path dir) {
    try (var files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a leftover temporary directory is harmless
    }
  }

  private static boolean listening(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting", e);
    }
  }
}
