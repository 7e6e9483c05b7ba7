// pgjdbc client check: CRUD with PreparedStatement parameters, a rolled-back and a committed
// transaction, and SQLSTATE 23505 on a duplicate primary key. Server from PGHOST/PGPORT/PGUSER/
// PGDATABASE (defaults 127.0.0.1, 5432, quorumdb, quorumdb; PGPASSWORD if set). Exits non-zero
// on any mismatch. Run with Java 11+ source launch:
//   java -cp /usr/share/java/postgresql.jar tests/clients/jdbc/Client.java
import java.sql.*;
import java.util.*;

public class Client {
    static final String TABLE = "clients_jdbc";

    static void check(String what, Object got, Object want) {
        if (!Objects.equals(got, want)) {
            System.err.println("jdbc: FAIL " + what + ": got " + got + ", want " + want);
            System.exit(1);
        }
    }

    static String env(String k, String d) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? d : v;
    }

    static Connection connect() throws SQLException {
        String url = "jdbc:postgresql://" + env("PGHOST", "127.0.0.1") + ":" + env("PGPORT", "5432") + "/"
                + env("PGDATABASE", "quorumdb") + "?sslmode=disable&connectTimeout=10";
        Properties p = new Properties();
        p.setProperty("user", env("PGUSER", "quorumdb"));
        p.setProperty("password", env("PGPASSWORD", ""));
        return DriverManager.getConnection(url, p);
    }

    static List<String> rows(ResultSet rs) throws SQLException {
        List<String> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= n; i++) {
                if (i > 1) sb.append('|');
                sb.append(rs.getString(i));
            }
            out.add(sb.toString());
        }
        rs.close();
        return out;
    }

    public static void main(String[] args) throws Exception {
        try (Connection c = connect()) {
            try (Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS " + TABLE);
                s.execute("CREATE TABLE " + TABLE + " (id int PRIMARY KEY, name text NOT NULL, score int)");
            }

            // INSERT with parameters (including a quote, non-ASCII text and NULL). Run more than
            // 5 times so pgjdbc switches to a named server-side statement (and binary results).
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " (id, name, score) VALUES (?, ?, ?)")) {
                Object[][] data = {{1, "alice", 10}, {2, "bob's ✓", 20}, {3, "carol", null}};
                for (Object[] row : data) {
                    ins.setInt(1, (Integer) row[0]);
                    ins.setString(2, (String) row[1]);
                    if (row[2] == null) ins.setNull(3, Types.INTEGER); else ins.setInt(3, (Integer) row[2]);
                    check("INSERT update count", ins.executeUpdate(), 1);
                }
            }

            // SELECT with parameters, repeated past the server-prepare threshold.
            try (PreparedStatement q = c.prepareStatement("SELECT name, score FROM " + TABLE + " WHERE id = ?")) {
                for (int i = 0; i < 7; i++) {
                    q.setInt(1, 2);
                    check("SELECT by id (run " + i + ")", rows(q.executeQuery()), List.of("bob's ✓|20"));
                }
                q.setInt(1, 3);
                check("SELECT NULL", rows(q.executeQuery()), List.of("carol|null"));
            }
            try (PreparedStatement q = c.prepareStatement("SELECT id FROM " + TABLE + " WHERE score > ? OR name = ? ORDER BY id")) {
                q.setInt(1, 15);
                q.setString(2, "carol");
                check("SELECT with two params", rows(q.executeQuery()), List.of("2", "3"));
            }

            // UPDATE and DELETE with parameters.
            try (PreparedStatement u = c.prepareStatement("UPDATE " + TABLE + " SET score = score + ? WHERE id = ?")) {
                u.setInt(1, 5);
                u.setInt(2, 1);
                check("UPDATE count", u.executeUpdate(), 1);
            }
            try (PreparedStatement d = c.prepareStatement("DELETE FROM " + TABLE + " WHERE id = ?")) {
                d.setInt(1, 3);
                check("DELETE count", d.executeUpdate(), 1);
            }
            try (Statement s = c.createStatement()) {
                check("rows after UPDATE/DELETE", rows(s.executeQuery("SELECT id, name, score FROM " + TABLE + " ORDER BY id")),
                        List.of("1|alice|15", "2|bob's ✓|20"));
            }

            // A transaction that is rolled back leaves nothing behind.
            c.setAutoCommit(false);
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, ?)");
                 Statement s = c.createStatement()) {
                ins.setInt(1, 10);
                ins.setString(2, "temp");
                ins.setInt(3, 1);
                ins.executeUpdate();
                s.executeUpdate("UPDATE " + TABLE + " SET score = 0 WHERE id = 1");
                check("count inside transaction", rows(s.executeQuery("SELECT count(*) FROM " + TABLE)), List.of("3"));
                c.rollback();
                check("rows after ROLLBACK", rows(s.executeQuery("SELECT id, score FROM " + TABLE + " ORDER BY id")),
                        List.of("1|15", "2|20"));
                c.commit();

                // A committed transaction is visible from a second connection.
                ins.setInt(1, 4);
                ins.setString(2, "dave");
                ins.setInt(3, 40);
                ins.executeUpdate();
                c.commit();
            }
            try (Connection other = connect(); PreparedStatement q = other.prepareStatement("SELECT name FROM " + TABLE + " WHERE id = ?")) {
                q.setInt(1, 4);
                check("committed row seen by another connection", rows(q.executeQuery()), List.of("dave"));
            }

            // Duplicate primary key: SQLSTATE 23505; then 25P02 until rollback.
            try (PreparedStatement ins = c.prepareStatement("INSERT INTO " + TABLE + " VALUES (?, ?, ?)");
                 Statement s = c.createStatement()) {
                ins.setInt(1, 1);
                ins.setString(2, "dup");
                ins.setInt(3, 0);
                String state = null;
                try {
                    ins.executeUpdate();
                } catch (SQLException e) {
                    state = e.getSQLState();
                }
                check("duplicate key SQLSTATE", state, "23505");
                state = null;
                try {
                    s.executeQuery("SELECT 1").close();
                } catch (SQLException e) {
                    state = e.getSQLState();
                }
                check("statement in aborted transaction SQLSTATE", state, "25P02");
                c.rollback();
                check("count after failed INSERT", rows(s.executeQuery("SELECT count(*) FROM " + TABLE)), List.of("3"));
                c.setAutoCommit(true);
                s.execute("DROP TABLE " + TABLE);
            }
        }
        System.out.println("jdbc: ok");
    }
}
