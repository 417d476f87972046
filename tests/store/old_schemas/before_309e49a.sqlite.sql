CREATE TABLE callback_deliveries (
	id INTEGER NOT NULL,
	fingerprint VARCHAR(64) NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	action VARCHAR(20) NOT NULL,
	record_id BIGINT,
	received_at DATETIME NOT NULL,
	outcome VARCHAR(20) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (fingerprint)
);
CREATE TABLE console_audit_log (
	id INTEGER NOT NULL,
	at DATETIME NOT NULL,
	username VARCHAR(64) NOT NULL,
	role VARCHAR(16) NOT NULL,
	action VARCHAR(64) NOT NULL,
	target VARCHAR(255) NOT NULL,
	detail TEXT NOT NULL,
	result VARCHAR(16) NOT NULL,
	message TEXT NOT NULL,
	PRIMARY KEY (id)
);
CREATE INDEX ix_console_audit_log_at ON console_audit_log (at);
CREATE TABLE console_users (
	id INTEGER NOT NULL,
	username VARCHAR(64) NOT NULL,
	password_hash VARCHAR(255),
	role VARCHAR(16) NOT NULL,
	disabled BOOLEAN NOT NULL,
	created_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (username)
);
CREATE TABLE jobs (
	id INTEGER NOT NULL,
	kind VARCHAR(80) NOT NULL,
	title VARCHAR(300) NOT NULL,
	state VARCHAR(20) NOT NULL,
	params JSON NOT NULL,
	target VARCHAR(300),
	created_by VARCHAR(120),
	created_at DATETIME NOT NULL,
	updated_at DATETIME NOT NULL,
	started_at DATETIME,
	finished_at DATETIME,
	runner VARCHAR(200),
	heartbeat_at DATETIME,
	cancel_requested BOOLEAN NOT NULL,
	message TEXT,
	PRIMARY KEY (id)
);
CREATE INDEX ix_jobs_kind ON jobs (kind);
CREATE INDEX ix_jobs_state ON jobs (state);
CREATE TABLE sync_records (
	id INTEGER NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	record_id BIGINT NOT NULL,
	data JSON NOT NULL,
	last_updated DATETIME,
	fingerprint VARCHAR(64) NOT NULL,
	deleted BOOLEAN NOT NULL,
	synced_at DATETIME NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_sync_records_record UNIQUE (source, kind, record_id)
);
CREATE INDEX ix_sync_records_updated ON sync_records (source, kind, last_updated);
CREATE TABLE sync_runs (
	id INTEGER NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	mode VARCHAR(20) NOT NULL,
	state VARCHAR(20) NOT NULL,
	started_at DATETIME NOT NULL,
	finished_at DATETIME,
	fetched INTEGER NOT NULL,
	created INTEGER NOT NULL,
	updated INTEGER NOT NULL,
	unchanged INTEGER NOT NULL,
	deleted INTEGER NOT NULL,
	message TEXT,
	PRIMARY KEY (id)
);
CREATE INDEX ix_sync_runs_kind ON sync_runs (source, kind, started_at);
CREATE TABLE sync_state (
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	watermark DATETIME,
	last_sync_at DATETIME,
	last_full_sync_at DATETIME,
	PRIMARY KEY (source, kind)
);
CREATE TABLE console_sessions (
	id_digest VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	csrf_token VARCHAR(64) NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	PRIMARY KEY (id_digest),
	FOREIGN KEY(user_id) REFERENCES console_users (id) ON DELETE CASCADE
);
CREATE TABLE console_signin_tokens (
	token_digest VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	created_at DATETIME NOT NULL,
	expires_at DATETIME NOT NULL,
	used_at DATETIME,
	PRIMARY KEY (token_digest),
	FOREIGN KEY(user_id) REFERENCES console_users (id) ON DELETE CASCADE
);
CREATE TABLE job_events (
	id INTEGER NOT NULL,
	job_id INTEGER NOT NULL,
	at DATETIME NOT NULL,
	type VARCHAR(40) NOT NULL,
	step_key VARCHAR(300),
	message TEXT NOT NULL,
	data JSON,
	PRIMARY KEY (id),
	FOREIGN KEY(job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE INDEX ix_job_events_job_id ON job_events (job_id);
CREATE TABLE job_steps (
	id INTEGER NOT NULL,
	job_id INTEGER NOT NULL,
	position INTEGER NOT NULL,
	"key" VARCHAR(300) NOT NULL,
	action VARCHAR(80) NOT NULL,
	label VARCHAR(300) NOT NULL,
	params JSON NOT NULL,
	state VARCHAR(20) NOT NULL,
	created BOOLEAN NOT NULL,
	outcome JSON,
	message TEXT,
	attempts INTEGER NOT NULL,
	started_at DATETIME,
	finished_at DATETIME,
	PRIMARY KEY (id),
	CONSTRAINT uq_job_steps_position UNIQUE (job_id, position),
	CONSTRAINT uq_job_steps_key UNIQUE (job_id, "key"),
	FOREIGN KEY(job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
