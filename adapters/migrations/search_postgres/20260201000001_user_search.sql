-- The user search index on Postgres, in the database's schema beside its tables but recorded in a
-- migrations table of its own (search_migrations): sqlx's _sqlx_migrations belongs to the database adapter,
-- whose migrator refuses versions it does not know. pg_trgm is on the search_path while this runs (see
-- search/postgres/migrate.rs). Names are stored as given; terms and fuzzy text in normal form
-- (darkroom_core::search).

CREATE TABLE search_documents (
    id           UUID PRIMARY KEY,
    username     TEXT NOT NULL,
    display_name TEXT,
    first_name   TEXT,
    last_name    TEXT,
    updated_at   TIMESTAMPTZ NOT NULL,
    -- The username and names in normal form: what the fuzzy path compares the query with.
    fuzzy_text   TEXT NOT NULL
);
CREATE INDEX search_documents_fuzzy ON search_documents USING gin (fuzzy_text gin_trgm_ops);

-- The prefix paths: kind 0 is the username, kind 1 a name (or one of its words). COLLATE "C" makes the
-- primary key's order code point order, so a prefix query is a range scan: term >= $1 AND term < $2.
CREATE TABLE search_terms (
    kind    SMALLINT NOT NULL,
    term    TEXT COLLATE "C" NOT NULL,
    user_id UUID NOT NULL REFERENCES search_documents (id) ON DELETE CASCADE,
    PRIMARY KEY (kind, term, user_id)
);
CREATE INDEX search_terms_by_user ON search_terms (user_id);
