package io.forkrunner.engine;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine contract for an engine spoken to in SQL over JDBC: its records are the rows of table {@code items} of
 * database {@code shop}. Each engine's test says how to connect and where an administrator connects.
 */
public abstract class SqlEngineContractTest extends EngineContractTest {

    /** A JDBC connection to a database of a server of this engine. */
    protected abstract Connection connect(Endpoint server, String database) throws SQLException;

    /** The database an administrator connects to when no other is meant. */
    protected abstract String adminDatabase();

    @Override
    protected String database() {
        return "shop";
    }

    @Override
    protected void createRecordStore(Endpoint admin) throws SQLException {
        try (Connection server = connect(admin, adminDatabase());
                Statement statement = server.createStatement()) {
            statement.execute("create database shop");
        }
        try (Connection shop = connect(admin, "shop");
                Statement statement = shop.createStatement()) {
            statement.execute("create table items (id int primary key, note varchar(64))");
        }
    }

    @Override
    protected void insert(Endpoint admin, int from, int to) throws SQLException {
        try (Connection shop = connect(admin, "shop");
                PreparedStatement insert = shop.prepareStatement("insert into items (id, note) values (?, ?)")) {
            for (int id = from; id <= to; id++) {
                insert.setInt(1, id);
                insert.setString(2, note(id));
                insert.addBatch();
            }
            insert.executeBatch();
        }
    }

    @Override
    protected List<String> records(Endpoint server) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection shop = connect(server, "shop");
                Statement statement = shop.createStatement();
                ResultSet result = statement.executeQuery("select id, note from items")) {
            while (result.next()) {
                rows.add(result.getInt(1) + "|" + result.getString(2));
            }
        }
        return rows;
    }

    @Override
    protected int readerReads(Endpoint reader) throws SQLException {
        try (Connection shop = connect(reader, "shop");
                Statement statement = shop.createStatement();
                ResultSet row = statement.executeQuery("select count(*) from items")) {
            row.next();
            return row.getInt(1);
        }
    }
}
