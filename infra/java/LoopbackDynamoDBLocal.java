// DynamoDB Local bound to one address (default 127.0.0.1) instead of every interface.
//
// DynamoDB Local's ServerRunner has no host option: its Jetty connector listens on all interfaces.
// This launcher builds the server exactly as ServerRunner does (same command-line arguments), sets
// the host of its Jetty connectors before starting it, then blocks. Run in Java's single-file
// source mode (JEP 330, Java 11+):
//   java -Djava.library.path=<emulator>/DynamoDBLocal_lib -Dchipid.host=127.0.0.1 \
//        -cp <emulator>/DynamoDBLocal.jar LoopbackDynamoDBLocal.java -inMemory -sharedDb -port 8000
// Only reflection is used, so nothing but the JDK is needed to compile it.
import java.lang.reflect.Field;
import java.lang.reflect.Method;

public class LoopbackDynamoDBLocal {
  public static void main(String[] args) throws Exception {
    String host = System.getProperty("chipid.host", "127.0.0.1");
    Class<?> runner = Class.forName("com.amazonaws.services.dynamodbv2.local.main.ServerRunner");
    Method create = runner.getMethod("createServerFromCommandLineArgs", String[].class);
    Object proxy = create.invoke(null, (Object) args);
    Field serverField = proxy.getClass().getDeclaredField("server");
    serverField.setAccessible(true);
    Object server = serverField.get(proxy);
    Object[] connectors = (Object[]) server.getClass().getMethod("getConnectors").invoke(server);
    if (connectors.length == 0) throw new IllegalStateException("DynamoDB Local: no Jetty connector to bind");
    for (Object connector : connectors) {
      connector.getClass().getMethod("setHost", String.class).invoke(connector, host);
    }
    proxy.getClass().getMethod("start").invoke(proxy);
    System.out.println("DynamoDB Local listening on " + host);
    proxy.getClass().getMethod("join").invoke(proxy);
  }
}
