CREATE TABLE callback_deliveries (
	id SERIAL NOT NULL,
	fingerprint VARCHAR(64) NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	action VARCHAR(20) NOT NULL,
	record_id BIGINT,
	received_at TIMESTAMP WITH TIME ZONE NOT NULL,
	outcome VARCHAR(20) NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (fingerprint)
);
CREATE TABLE console_audit_log (
	id SERIAL NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
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
	id SERIAL NOT NULL,
	username VARCHAR(64) NOT NULL,
	password_hash VARCHAR(255),
	role VARCHAR(16) NOT NULL,
	disabled BOOLEAN NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	UNIQUE (username)
);
CREATE TABLE jobs (
	id SERIAL NOT NULL,
	kind VARCHAR(80) NOT NULL,
	title VARCHAR(300) NOT NULL,
	state VARCHAR(20) NOT NULL,
	params JSON NOT NULL,
	target VARCHAR(300),
	created_by VARCHAR(120),
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	updated_at TIMESTAMP WITH TIME ZONE NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE,
	finished_at TIMESTAMP WITH TIME ZONE,
	runner VARCHAR(200),
	heartbeat_at TIMESTAMP WITH TIME ZONE,
	cancel_requested BOOLEAN NOT NULL,
	message TEXT,
	PRIMARY KEY (id)
);
CREATE INDEX ix_jobs_kind ON jobs (kind);
CREATE INDEX ix_jobs_state ON jobs (state);
CREATE TABLE sync_records (
	id SERIAL NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	record_id BIGINT NOT NULL,
	data TEXT NOT NULL,
	last_updated TIMESTAMP WITH TIME ZONE,
	fingerprint VARCHAR(64) NOT NULL,
	deleted BOOLEAN NOT NULL,
	synced_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id),
	CONSTRAINT uq_sync_records_record UNIQUE (source, kind, record_id)
);
CREATE INDEX ix_sync_records_updated ON sync_records (source, kind, last_updated);
CREATE TABLE sync_runs (
	id SERIAL NOT NULL,
	source VARCHAR(300) NOT NULL,
	kind VARCHAR(40) NOT NULL,
	mode VARCHAR(20) NOT NULL,
	state VARCHAR(20) NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE NOT NULL,
	finished_at TIMESTAMP WITH TIME ZONE,
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
	watermark TIMESTAMP WITH TIME ZONE,
	last_sync_at TIMESTAMP WITH TIME ZONE,
	last_full_sync_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (source, kind)
);
CREATE TABLE console_sessions (
	id_digest VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	csrf_token VARCHAR(64) NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	PRIMARY KEY (id_digest),
	FOREIGN KEY(user_id) REFERENCES console_users (id) ON DELETE CASCADE
);
CREATE TABLE console_signin_tokens (
	token_digest VARCHAR(64) NOT NULL,
	user_id INTEGER NOT NULL,
	created_at TIMESTAMP WITH TIME ZONE NOT NULL,
	expires_at TIMESTAMP WITH TIME ZONE NOT NULL,
	used_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (token_digest),
	FOREIGN KEY(user_id) REFERENCES console_users (id) ON DELETE CASCADE
);
CREATE TABLE job_events (
	id SERIAL NOT NULL,
	job_id INTEGER NOT NULL,
	at TIMESTAMP WITH TIME ZONE NOT NULL,
	type VARCHAR(40) NOT NULL,
	step_key VARCHAR(300),
	message TEXT NOT NULL,
	data JSON,
	PRIMARY KEY (id),
	FOREIGN KEY(job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
CREATE INDEX ix_job_events_job_id ON job_events (job_id);
CREATE TABLE job_steps (
	id SERIAL NOT NULL,
	job_id INTEGER NOT NULL,
	position INTEGER NOT NULL,
	key VARCHAR(300) NOT NULL,
	action VARCHAR(80) NOT NULL,
	label VARCHAR(300) NOT NULL,
	params JSON NOT NULL,
	state VARCHAR(20) NOT NULL,
	created BOOLEAN NOT NULL,
	outcome JSON,
	message TEXT,
	attempts INTEGER NOT NULL,
	started_at TIMESTAMP WITH TIME ZONE,
	finished_at TIMESTAMP WITH TIME ZONE,
	PRIMARY KEY (id),
	CONSTRAINT uq_job_steps_position UNIQUE (job_id, position),
	CONSTRAINT uq_job_steps_key UNIQUE (job_id, key),
	FOREIGN KEY(job_id) REFERENCES jobs (id) ON DELETE CASCADE
);
