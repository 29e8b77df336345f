package mysqlwire

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const mariadbJar = "/usr/share/java/mariadb-java-client.jar"

// jdbcProgram prints sections "## name" followed by tab-separated rows.
const jdbcProgram = `
import java.sql.*;
import java.util.*;

public class TarnJdbc {
    static void dump(String name, ResultSet rs, String... cols) throws SQLException {
        System.out.println("## " + name);
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
            StringBuilder sb = new StringBuilder();
            int n = cols.length > 0 ? cols.length : md.getColumnCount();
            for (int i = 1; i <= n; i++) {
                String v = cols.length > 0 ? rs.getString(cols[i-1]) : rs.getString(i);
                if (i > 1) sb.append('\t');
                sb.append(v == null ? "NULL" : v);
            }
            System.out.println(sb);
        }
        rs.close();
    }

    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", "root");
        p.setProperty("password", args[1]);
        try (Connection c = DriverManager.getConnection(args[0], p)) {
            DatabaseMetaData md = c.getMetaData();
            System.out.println("## product");
            System.out.println(md.getDatabaseProductName() + "\t" + md.getDatabaseProductVersion());
            dump("catalogs", md.getCatalogs(), "TABLE_CAT");
            dump("schemas", md.getSchemas());
            dump("tables", md.getTables("tpch", null, "%", new String[]{"TABLE"}), "TABLE_CAT", "TABLE_NAME", "TABLE_TYPE");
            dump("columns", md.getColumns("tpch", null, "lineitem", "%"), "COLUMN_NAME", "DATA_TYPE", "TYPE_NAME", "COLUMN_SIZE", "DECIMAL_DIGITS", "ORDINAL_POSITION", "IS_NULLABLE");
            for (int i = 2; i < args.length; i += 2) {
                try (Statement s = c.createStatement()) {
                    dump(args[i], s.executeQuery(args[i+1]));
                }
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT n_name, ? AS s, ? AS i, ? AS d, ? AS dt FROM nation WHERE n_nationkey = ? AND n_name LIKE ?")) {
                ps.setString(1, "it's \\ ok");
                ps.setLong(2, 123456789012L);
                ps.setBigDecimal(3, new java.math.BigDecimal("12.50"));
                ps.setDate(4, java.sql.Date.valueOf("1995-03-15"));
                ps.setInt(5, 7);
                ps.setString(6, "GER%");
                dump("prepared", ps.executeQuery());
            }
            try (Statement s = c.createStatement()) {
                s.executeQuery("SELECT * FROM nosuch");
                System.out.println("## error\nnone");
            } catch (SQLException e) {
                System.out.println("## error\n" + e.getErrorCode() + "\t" + e.getSQLState());
            }
        }
    }
}
`

func parseSections(out string) map[string][][]string {
	secs := map[string][][]string{}
	cur := ""
	for _, line := range strings.Split(strings.TrimRight(out, "\n"), "\n") {
		if strings.HasPrefix(line, "## ") {
			cur = strings.TrimPrefix(line, "## ")
			secs[cur] = [][]string{}
			continue
		}
		secs[cur] = append(secs[cur], strings.Split(line, "\t"))
	}
	return secs
}

func TestJDBC(t *testing.T) {
	requireClient(t, "java", "javac")
	requireFile(t, mariadbJar, "MariaDB Connector/J")
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "TarnJdbc.java"), []byte(jdbcProgram), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("javac", "-cp", mariadbJar, "-d", dir, filepath.Join(dir, "TarnJdbc.java")).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	host, port := hostPort()
	args := []string{"-cp", dir + string(os.PathListSeparator) + mariadbJar, "TarnJdbc",
		"jdbc:mariadb://" + host + ":" + port + "/tpch", testPassword}
	for _, q := range tpchQueries {
		args = append(args, q, tpchSQL(t, q))
	}
	cmd := exec.Command("java", args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("java: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	secs := parseSections(stdout.String())
	if p := secs["product"]; len(p) != 1 || p[0][0] != "MySQL" || !strings.HasPrefix(p[0][1], "8.0.40") {
		t.Errorf("product: %v", p)
	}
	compareRows(t, "getCatalogs", secs["catalogs"], [][]string{{"information_schema"}, {"system"}, {"tpch"}})
	compareRows(t, "getTables", secs["tables"], [][]string{
		{"tpch", "customer", "TABLE"}, {"tpch", "lineitem", "TABLE"}, {"tpch", "nation", "TABLE"}, {"tpch", "orders", "TABLE"},
		{"tpch", "part", "TABLE"}, {"tpch", "partsupp", "TABLE"}, {"tpch", "region", "TABLE"}, {"tpch", "supplier", "TABLE"}})
	cols := secs["columns"]
	if len(cols) != 16 {
		t.Fatalf("getColumns(lineitem): %d columns: %v", len(cols), cols)
	}
	// java.sql.Types: BIGINT -5, DECIMAL 3, DATE 91, VARCHAR 12.
	compareRows(t, "getColumns", [][]string{cols[0], cols[4], cols[10], cols[15]}, [][]string{
		{"l_orderkey", "-5", "BIGINT", "19", "0", "1", "YES"},
		{"l_quantity", "3", "DECIMAL", "15", "2", "5", "YES"},
		{"l_shipdate", "91", "DATE", "10", "NULL", "11", "YES"},
		{"l_comment", "12", "VARCHAR", "65535", "NULL", "16", "YES"},
	})
	for _, q := range tpchQueries {
		compareRows(t, "JDBC "+q, secs[q], expectedRows(t, tpchSQL(t, q)))
	}
	compareRows(t, "prepared", secs["prepared"], [][]string{{"GERMANY", "it's \\ ok", "123456789012", "12.50", "1995-03-15"}})
	compareRows(t, "error", secs["error"], [][]string{{"1146", "42S02"}})
}
