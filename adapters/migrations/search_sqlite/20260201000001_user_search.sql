-- The user search index on SQLite. It lives in a file of its own (search.sqlite), so it has its own
-- _sqlx_migrations table and can never read the users table: it holds everything search ranks on.
-- Conventions as in the main database: ids are lowercase hyphenated UUID text, timestamps INTEGER
-- microseconds since the Unix epoch. Names are stored as given; terms and fuzzy text in normal form
-- (darkroom_core::search).

CREATE TABLE search_documents (
    -- The rowid, shared with the document's row in search_fuzzy.
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    username     TEXT NOT NULL,
    display_name TEXT,
    first_name   TEXT,
    last_name    TEXT,
    updated_at   INTEGER NOT NULL
);

-- The prefix paths: kind 0 is the username, kind 1 a name (or one of its words). A prefix query is a
-- range scan of the primary key: kind = ? AND term >= ? AND term < ? (BINARY collation: code point order).
CREATE TABLE search_terms (
    kind INTEGER NOT NULL,
    term TEXT NOT NULL,
    seq  INTEGER NOT NULL REFERENCES search_documents (seq) ON DELETE CASCADE,
    PRIMARY KEY (kind, term, seq)
) WITHOUT ROWID;
CREATE INDEX search_terms_by_document ON search_terms (seq);

-- The fuzzy path: every three-character sequence of the fuzzy text (spaces included, so a word's first
-- and last letters count), looked up with an OR of the query's trigrams.
CREATE VIRTUAL TABLE search_fuzzy USING fts5 (text, tokenize = 'trigram');
