package dev.hfwebhooks.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP relay on 127.0.0.1 in front of a server, that a test can cut (every connection dropped, new
 * ones refused at once) and restore: a database lost and found again, as a network or a fail-over
 * loses it.
 */
public final class TcpProxy implements AutoCloseable {
  private final ServerSocket listener;
  private final String host;
  private final int port;
  private final List<Socket> open = new ArrayList<>();
  private volatile boolean cut;

  private TcpProxy(String host, int port) throws IOException {
    this.host = host;
    this.port = port;
    this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread.ofPlatform().daemon().name("tcp-proxy").start(this::accept);
  }

  /** A relay to {@code host:port}. */
  public static TcpProxy to(String host, int port) throws IOException {
    return new TcpProxy(host, port);
  }

  /** The port it listens on. */
  public int port() {
    return listener.getLocalPort();
  }

  /** Drops every connection, and refuses new ones until {@link #restore}. */
  public void cut() {
    cut = true;
    synchronized (open) {
      open.forEach(TcpProxy::closeQuietly);
      open.clear();
    }
  }

  public void restore() {
    cut = false;
  }

  private void accept() {
    while (!listener.isClosed()) {
      Socket client;
      try {
        client = listener.accept();
      } catch (IOException e) {
        return;
      }
      if (cut) {
        closeQuietly(client);
        continue;
      }
      try {
        Socket server = new Socket(host, port);
        synchronized (open) {
          open.add(client);
          open.add(server);
        }
        pump(client, server);
        pump(server, client);
      } catch (IOException e) {
        closeQuietly(client);
      }
    }
  }

  private static void pump(Socket from, Socket to) {
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                in.transferTo(out);
              } catch (IOException e) {
                // Cut, or closed by either side.
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            });
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException e) {
      // Closing anyway.
    }
  }

  @Override
  public void close() throws IOException {
    cut();
    listener.close();
  }
}
