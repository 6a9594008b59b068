-- Seed for the masking corpus (tests/corpus/masking/*.yaml, tests/integration/masking_corpus_test.cpp).
-- Fictitious people with distinctive secret values. Card numbers are Luhn-valid test numbers,
-- IBANs are ISO 13616 example numbers. The runner checks that none of the values listed below
-- ever appears in what sqlguard sends back (result, refusal or error message), except for a
-- principal exempt from masking (expect: clear).
--
-- secrets:
--   900-11-2233
--   900-44-5566
--   900-77-8899
--   zelda.quill@secret-mail.test
--   otto.brandt@secret-mail.test
--   mira.sol@hidden-domain.test
--   4539578763621486
--   5555555555554444
--   378282246310005
--   DE89370400440532013000
--   GB82WEST12345698765432
--   FR1420041010050500013M02606
--   +44 20 7946 0958
--   +1 415 555 0199
--   987654.32
--   123987.65
--   7351946
--   8642097
--   1961-07-04
--   1972-02-29
--   PHOTO-SECRET-BYTES-ZQ
--   NOTE-SECRET-ZELDA
--   4000 0566 5566 5556
--   APIKEYS-COMMENT-QZ7
-- end secrets
-- Loaded into the demo schema `shop` (which the corpus policy lets analysts read), next to the
-- demo tables; every object has a pii_ prefix so the demo data is untouched.
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE shop;
DROP VIEW IF EXISTS v_pii_people, v_pii_cities, v_pii_filtered, v_pii_computed, v_pii_nested, v_pii_distinct,
  v_pii_union, v_pii_grouped, v_pii_func, v_pii_literal, v_pii_hr, v_pii_star, v_pii_hinted;
DROP FUNCTION IF EXISTS pii_secret_of;
DROP TABLE IF EXISTS pii_people, pii_accounts, pii_orders, pii_cities, pii_staff, pii_cards, pii_events, pii_ddl,
  pii_tickets, pii_history, api_keys;
DROP SEQUENCE IF EXISTS pii_seq;
CREATE DATABASE IF NOT EXISTS pii_hr CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
DROP TABLE IF EXISTS pii_hr.salaries;

-- A table every principal is denied (corpus-config.yaml: secrets-never): no SHOW form may name
-- or describe it (metadata.yaml meta-show-status-*).
CREATE TABLE api_keys (id INT PRIMARY KEY, token VARCHAR(64)) COMMENT 'APIKEYS-COMMENT-QZ7';
INSERT INTO api_keys VALUES (1, 'tok-1'), (2, 'tok-2');

CREATE TABLE pii_people (
  id INT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255),
  ssn CHAR(11),
  card_number VARCHAR(19),
  iban VARCHAR(34),
  phone VARCHAR(32),
  salary DECIMAL(10,2),
  pin INT,
  birth_date DATE,
  photo BLOB,
  note TEXT,
  city VARCHAR(64) NOT NULL,
  UNIQUE KEY uk_ssn (ssn)
);

CREATE TABLE pii_accounts (
  id INT PRIMARY KEY,
  person_id INT NOT NULL,
  email VARCHAR(255),
  balance DECIMAL(12,2) NOT NULL,
  opened DATE NOT NULL
);

CREATE TABLE pii_orders (
  id INT PRIMARY KEY,
  person_id INT NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  memo VARCHAR(200)
);

CREATE TABLE pii_cities (
  name VARCHAR(64) PRIMARY KEY,
  country CHAR(2) NOT NULL
);

INSERT INTO pii_people VALUES
 (1, 'Zelda Quill', 'zelda.quill@secret-mail.test', '900-11-2233', '4539578763621486',
  'DE89370400440532013000', '+44 20 7946 0958', 987654.32, 7351946, '1961-07-04',
  'PHOTO-SECRET-BYTES-ZQ', 'NOTE-SECRET-ZELDA', 'Leeds'),
 (2, 'Otto Brandt', 'otto.brandt@secret-mail.test', '900-44-5566', '5555555555554444',
  'GB82WEST12345698765432', '+1 415 555 0199', 123987.65, 8642097, '1972-02-29',
  NULL, 'plain note', 'Berlin'),
 (3, 'Mira Sol', 'mira.sol@hidden-domain.test', '900-77-8899', '378282246310005',
  'FR1420041010050500013M02606', NULL, NULL, NULL, NULL, NULL, NULL, 'Lyon'),
 (4, 'Nobody Null', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 'Leeds');

INSERT INTO pii_accounts VALUES
 (10, 1, 'zelda.quill@secret-mail.test', 100.00, '2020-01-01'),
 (11, 2, 'otto.brandt@secret-mail.test', 250.50, '2021-06-15'),
 (12, 3, 'shared@public.test', 75.25, '2022-03-03');

-- memo is not a masked column: the value detectors must catch what is in it.
INSERT INTO pii_orders VALUES
 (100, 1, 19.99, 'refund to card 4000 0566 5566 5556 please'),
 (101, 2, 5.00, 'ship fast'),
 (102, 3, 42.00, 'contact mira.sol@hidden-domain.test'),
 (103, 1, 7.50, 'wire from DE89370400440532013000');

INSERT INTO pii_cities VALUES ('Leeds', 'GB'), ('Berlin', 'DE'), ('Lyon', 'FR');

-- A view that renames a masked column: its metadata names the view, not pii_people.ssn.
CREATE VIEW v_pii_people AS SELECT id, name, ssn AS tax_id FROM pii_people;
CREATE VIEW v_pii_cities AS SELECT name, country FROM pii_cities;

-- A stored function that returns a masked value under an expression without origin.
DELIMITER //
CREATE FUNCTION pii_secret_of(i INT) RETURNS VARCHAR(11) READS SQL DATA
BEGIN
  RETURN (SELECT ssn FROM pii_people WHERE id = i);
END//
DELIMITER ;

-- Views are judged by what their definitions read (docs/masking.md "Views"): these views are
-- created by root (SQL SECURITY DEFINER), so the agent account could read through them.
-- An oracle baked into the definition: every read of the view filters by a masked column.
CREATE VIEW v_pii_filtered AS SELECT id, name FROM pii_people WHERE ssn LIKE '900-1%';
-- A view column computed from a masked column, next to a clean one.
CREATE VIEW v_pii_computed AS SELECT id, CONCAT(name, ':', ssn) AS label, UPPER(name) AS uname FROM pii_people;
-- A view over a view that renames the masked column again.
CREATE VIEW v_pii_nested AS SELECT id AS pid, tax_id AS t2 FROM v_pii_people;
CREATE VIEW v_pii_distinct AS SELECT DISTINCT ssn FROM pii_people;
CREATE VIEW v_pii_union AS SELECT name FROM pii_people UNION SELECT ssn FROM pii_people;
CREATE VIEW v_pii_grouped AS SELECT city, MAX(salary) AS top_salary, COUNT(*) AS n FROM pii_people GROUP BY city;
CREATE VIEW v_pii_func AS SELECT id, pii_secret_of(id) AS s FROM pii_people;
CREATE VIEW v_pii_star AS SELECT * FROM pii_people;
CREATE VIEW v_pii_hinted AS SELECT id, name FROM pii_people FORCE INDEX (uk_ssn);

-- INVISIBLE columns are not part of SELECT *; email (rule pii-email) is one here.
CREATE TABLE pii_staff (
  id INT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255) INVISIBLE,
  card_number VARCHAR(19)
);
INSERT INTO pii_staff (id, name, email, card_number) VALUES
 (1, 'Zelda Quill', 'zelda.quill@secret-mail.test', '4539578763621486'),
 (2, 'Otto Brandt', 'otto.brandt@secret-mail.test', NULL);

-- Physical design over a masked column (card_number, rule pii-card): an index and the
-- partitioning expression. pii_events is partitioned by a column that is not masked.
CREATE TABLE pii_cards (
  id INT NOT NULL,
  holder VARCHAR(100) NOT NULL,
  card_number VARCHAR(19),
  KEY idx_card (card_number),
  KEY idx_holder (holder)
) PARTITION BY RANGE COLUMNS (card_number) (
  PARTITION p_low VALUES LESS THAN ('5'),
  PARTITION p_high VALUES LESS THAN (MAXVALUE)
);
INSERT INTO pii_cards VALUES (1, 'Zelda Quill', '4539578763621486'), (2, 'Otto Brandt', '5555555555554444'),
 (3, 'Mira Sol', '378282246310005'), (4, 'Ann Other', '5555555555554444');
CREATE TABLE pii_events (
  id INT NOT NULL,
  yr INT NOT NULL,
  card_number VARCHAR(19)
) PARTITION BY RANGE (yr) (PARTITION p2020 VALUES LESS THAN (2021), PARTITION p_rest VALUES LESS THAN MAXVALUE);
INSERT INTO pii_events VALUES (1, 2020, '4539578763621486'), (2, 2024, '378282246310005');

-- Masked values inside the schema itself: a default, a comment, a generated column, a check
-- constraint, a trigger body, a view's literal and the column statistics.
CREATE TABLE pii_ddl (
  id INT PRIMARY KEY,
  card_number VARCHAR(19) DEFAULT '4539578763621486' COMMENT 'for example 5555555555554444',
  note VARCHAR(40),
  flag INT AS (card_number = '378282246310005') VIRTUAL,
  CONSTRAINT chk_card CHECK (card_number <> '4000 0566 5566 5556')
);
INSERT INTO pii_ddl (id, card_number, note) VALUES (1, '5555555555554444', 'x'), (2, '378282246310005', 'y');
CREATE TRIGGER pii_ddl_bi BEFORE INSERT ON pii_ddl FOR EACH ROW
  SET NEW.note = IF(NEW.card_number = '5555555555554444', 'known', 'new');
CREATE VIEW v_pii_literal AS SELECT id, note FROM pii_ddl WHERE card_number = '4539578763621486';
ANALYZE TABLE pii_ddl PERSISTENT FOR ALL;

-- A definer view in the allowed schema over a schema no rule lets analysts read.
CREATE TABLE pii_hr.salaries (id INT PRIMARY KEY, amount DECIMAL(10,2));
INSERT INTO pii_hr.salaries VALUES (1, 987654.32), (2, 123987.65);
CREATE SQL SECURITY DEFINER VIEW v_pii_hr AS SELECT id, amount FROM pii_hr.salaries;

-- Sequences: NEXTVAL and a column whose default is the sequence's next value.
CREATE SEQUENCE pii_seq START WITH 100;
CREATE TABLE pii_tickets (id INT DEFAULT (NEXT VALUE FOR pii_seq), subject VARCHAR(40));
INSERT INTO pii_tickets (subject) VALUES ('printer'), ('vpn');

-- A system-versioned table: FOR SYSTEM_TIME reads history rows, masked like current ones.
CREATE TABLE pii_history (id INT PRIMARY KEY, holder VARCHAR(100), card_number VARCHAR(19)) WITH SYSTEM VERSIONING;
INSERT INTO pii_history VALUES (1, 'Zelda Quill', '4539578763621486');
UPDATE pii_history SET card_number = '5555555555554444' WHERE id = 1;
