package store

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// A copy moves memoria's rows between a SQLite database and a PostgreSQL
// one, either way, from a transaction on the source (one consistent
// state) to a transaction on the target (all or nothing), both open
// before and committed or rolled back by the caller. Both databases carry
// the same migrations, so every copied table (copy_tables.go) has the
// same columns on both sides; PostgreSQL's types say how each value
// converts (SQLite keeps booleans as integers). Rows stream: a batch of
// at most copyBatchRows rows or copyBatchBytes bytes is in memory at a
// time. Ids are kept; what is derived is rebuilt on the target rather
// than copied (the search index: rebuildSearch), and the id sequences
// are set past the source's marks (carrySequences), so that no id the
// source ever handed out is handed out again.

// Bounds of one INSERT of a copy: rows, bytes of values, and bound
// parameters (SQLite allows 32,766, PostgreSQL 65,535).
const (
	copyBatchRows   = 500
	copyBatchBytes  = 4 << 20
	copyBatchParams = 10000
)

// columnKind is how a copied column's values are typed: by PostgreSQL's
// type of the column.
type columnKind int

const (
	colInt columnKind = iota
	colBool
	colText
	colBytes
)

// column is one column of a copied table.
type column struct {
	name string
	kind columnKind
}

// copyHooks let tests inject faults into a copy; all nil in production.
type copyHooks struct {
	// afterTable runs on the target's transaction after each table is
	// copied; its error stops the copy.
	afterTable func(ctx context.Context, dst *gorm.DB, table string) error
}

// copier copies between src and dst, open transactions on a SQLite and a
// PostgreSQL database (in either order).
type copier struct {
	src, dst *gorm.DB
	log      *slog.Logger
	hooks    copyHooks
	rows     int64 // copied so far
}

// pg is whichever side is PostgreSQL.
func (c *copier) pg() *gorm.DB {
	if isPostgres(c.src) {
		return c.src
	}
	return c.dst
}

// isPostgres reports whether g talks to PostgreSQL.
func isPostgres(g *gorm.DB) bool {
	return g != nil && g.Dialector != nil && g.Dialector.Name() == postgresName
}

// copyAll copies every table of copiedTables, in order, then carries the
// id sequences over.
func (c *copier) copyAll(ctx context.Context) error {
	for _, t := range copiedTables {
		n, err := c.copyTable(ctx, t)
		if err != nil {
			return fmt.Errorf("copy %s: %w", t.name, translate(err))
		}
		c.rows += n
		c.log.DebugContext(ctx, "copied", "table", t.name, "rows", n)
		if c.hooks.afterTable != nil {
			if err := c.hooks.afterTable(ctx, c.dst, t.name); err != nil {
				return err
			}
		}
	}
	return c.carrySequences(ctx)
}

// columns returns the columns of table as PostgreSQL types them, after
// checking that the SQLite side has the same ones.
func (c *copier) columns(ctx context.Context, table string) ([]column, error) {
	var pgCols []struct {
		ColumnName string
		DataType   string
	}
	err := c.pg().WithContext(ctx).Raw(`SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position`, table).Scan(&pgCols).Error
	if err != nil {
		return nil, err
	}
	lite := c.src
	if isPostgres(lite) {
		lite = c.dst
	}
	var liteCols []string
	if err := lite.WithContext(ctx).Raw("SELECT name FROM pragma_table_info(?)", table).Scan(&liteCols).Error; err != nil {
		return nil, err
	}
	cols := make([]column, 0, len(pgCols))
	names := make([]string, 0, len(pgCols))
	for _, pc := range pgCols {
		var kind columnKind
		switch pc.DataType {
		case "bigint", "integer", "smallint":
			kind = colInt
		case "boolean":
			kind = colBool
		case "text", "character varying":
			kind = colText
		case "bytea":
			kind = colBytes
		default:
			return nil, fmt.Errorf("column %s has the type %s, which a copy does not know", pc.ColumnName, pc.DataType)
		}
		cols = append(cols, column{name: pc.ColumnName, kind: kind})
		names = append(names, pc.ColumnName)
	}
	slices.Sort(names)
	slices.Sort(liteCols)
	if len(names) == 0 || !slices.Equal(names, liteCols) {
		return nil, fmt.Errorf("the databases' columns differ: PostgreSQL has (%s), SQLite (%s)", strings.Join(names, ", "), strings.Join(liteCols, ", "))
	}
	return cols, nil
}

// quoteIdent quotes a table or column name for both databases.
func quoteIdent(name string) string { return `"` + strings.ReplaceAll(name, `"`, `""`) + `"` }

// copyTable copies t's rows and returns how many.
func (c *copier) copyTable(ctx context.Context, t copiedTable) (int64, error) {
	cols, err := c.columns(ctx, t.name)
	if err != nil {
		return 0, err
	}
	list := make([]string, len(cols))
	for i, col := range cols {
		list[i] = quoteIdent(col.name)
	}
	q := "SELECT " + strings.Join(list, ", ") + " FROM " + quoteIdent(t.name)
	if t.where != "" {
		q += " WHERE " + t.where
	}
	rows, err := c.src.Statement.ConnPool.QueryContext(ctx, q)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	b := insertBatch{
		pool: c.dst.Statement.ConnPool, pg: isPostgres(c.dst),
		prefix: "INSERT INTO " + quoteIdent(t.name) + " (" + strings.Join(list, ", ") + ") VALUES ",
		width:  len(cols), maxRows: min(copyBatchRows, copyBatchParams/len(cols)),
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return n, err
		}
		size := 0
		for i, col := range cols {
			v, sz, err := convertValue(vals[i], col.kind)
			if err != nil {
				return n, fmt.Errorf("column %s: %w", col.name, err)
			}
			b.args = append(b.args, v)
			size += sz
		}
		b.rows++
		b.bytes += size
		n++
		if b.rows >= b.maxRows || b.bytes >= copyBatchBytes {
			if err := b.flush(ctx); err != nil {
				return n, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, b.flush(ctx)
}

// convertValue returns v, as the source's driver scanned it, in the Go
// type the target's column takes, and about how many bytes it holds.
func convertValue(v any, kind columnKind) (any, int, error) {
	if v == nil {
		return nil, 0, nil
	}
	switch kind {
	case colInt:
		if i, ok := v.(int64); ok {
			return i, 8, nil
		}
	case colBool:
		switch b := v.(type) {
		case bool:
			return b, 1, nil
		case int64: // SQLite's boolean
			return b != 0, 1, nil
		}
	case colText:
		switch s := v.(type) {
		case string:
			return s, len(s), nil
		case []byte:
			return string(s), len(s), nil
		}
	case colBytes:
		switch s := v.(type) {
		case []byte:
			return s, len(s), nil
		case string:
			return []byte(s), len(s), nil
		}
	}
	return nil, 0, fmt.Errorf("a value of Go type %T does not fit the column", v)
}

// insertBatch is the rows of one multi-row INSERT, sent by flush.
type insertBatch struct {
	pool    gorm.ConnPool
	pg      bool   // $n placeholders, else ?
	prefix  string // INSERT INTO t (…) VALUES
	width   int    // columns per row
	maxRows int
	args    []any
	rows    int
	bytes   int
}

// flush inserts the rows collected (none: nothing).
func (b *insertBatch) flush(ctx context.Context) error {
	if b.rows == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString(b.prefix)
	p := 0
	for r := 0; r < b.rows; r++ {
		if r > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for i := 0; i < b.width; i++ {
			if i > 0 {
				q.WriteByte(',')
			}
			p++
			if b.pg {
				q.WriteString("$" + strconv.Itoa(p))
			} else {
				q.WriteByte('?')
			}
		}
		q.WriteByte(')')
	}
	if _, err := b.pool.ExecContext(ctx, q.String(), b.args...); err != nil {
		return err
	}
	clear(b.args)
	b.args, b.rows, b.bytes = b.args[:0], 0, 0
	return nil
}

// carrySequences sets each copied table's id sequence on the target past
// both the largest id copied and the source's own mark (SQLite's
// AUTOINCREMENT, PostgreSQL's sequence), which is higher when the newest
// rows were deleted: ids are never handed out twice.
func (c *copier) carrySequences(ctx context.Context) error {
	for _, t := range copiedTables {
		var seq sql.NullString
		err := c.pg().WithContext(ctx).Raw(`SELECT pg_get_serial_sequence(?, 'id') FROM information_schema.columns
			WHERE table_schema = current_schema() AND table_name = ? AND column_name = 'id'`, t.name, t.name).Scan(&seq).Error
		if err != nil {
			return fmt.Errorf("find the id sequence of %s: %w", t.name, translate(err))
		}
		if !seq.Valid {
			continue // no id column, or not a serial one
		}
		mark, err := c.sourceMark(ctx, t.name, seq.String)
		if err != nil {
			return fmt.Errorf("read the id sequence of %s: %w", t.name, translate(err))
		}
		var maxID int64
		if err := c.dst.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM " + quoteIdent(t.name)).Scan(&maxID).Error; err != nil {
			return fmt.Errorf("read the largest id of %s: %w", t.name, translate(err))
		}
		if err := c.setMark(ctx, t.name, seq.String, max(mark, maxID)); err != nil {
			return fmt.Errorf("set the id sequence of %s: %w", t.name, translate(err))
		}
	}
	return nil
}

// sourceMark is the largest id the source's sequence for table has
// handed out (0: none).
func (c *copier) sourceMark(ctx context.Context, table, seq string) (int64, error) {
	var mark int64
	if isPostgres(c.src) {
		err := c.src.WithContext(ctx).Raw("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM " + seq).Scan(&mark).Error
		return mark, err
	}
	err := c.src.WithContext(ctx).Raw("SELECT COALESCE(MAX(seq), 0) FROM sqlite_sequence WHERE name = ?", table).Scan(&mark).Error
	return mark, err
}

// setMark makes the target's next id for table mark+1.
func (c *copier) setMark(ctx context.Context, table, seq string, mark int64) error {
	if isPostgres(c.dst) {
		return c.dst.WithContext(ctx).Exec("SELECT setval(?::regclass, ?, ?)", seq, max(mark, 1), mark > 0).Error
	}
	if mark == 0 {
		return nil
	}
	res := c.dst.WithContext(ctx).Exec("UPDATE sqlite_sequence SET seq = ? WHERE name = ?", mark, table)
	if res.Error != nil || res.RowsAffected > 0 {
		return res.Error
	}
	return c.dst.WithContext(ctx).Exec("INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)", table, mark).Error
}

// rebuildSearch indexes every copied memo on the target (whose triggers
// queued each in memo_search_queue, which only the store's writer
// folds): the queue is emptied and the index built in one pass.
func (c *copier) rebuildSearch(ctx context.Context) error {
	tx := c.dst.WithContext(ctx)
	clear := "DELETE FROM memo_search_queue"
	if tx.Dialector.Name() == postgresName { // its record is per session (search_postgres.go)
		clear = "DO $$ BEGIN IF to_regclass('pg_temp.memo_search_pending') IS NOT NULL THEN DELETE FROM pg_temp.memo_search_pending; END IF; END $$"
	}
	if err := tx.Exec(clear).Error; err != nil {
		return fmt.Errorf("search index: %w", translate(err))
	}
	if err := fullTextFor(tx).indexAll(ctx, tx, c.log); err != nil {
		return fmt.Errorf("search index: %w", translate(err))
	}
	return nil
}
