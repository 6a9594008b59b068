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
-- end secrets
-- Loaded into the demo schema `shop` (which the corpus policy lets analysts read), next to the
-- demo tables; every object has a pii_ prefix so the demo data is untouched.
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE shop;
DROP VIEW IF EXISTS v_pii_people, v_pii_cities;
DROP FUNCTION IF EXISTS pii_secret_of;
DROP TABLE IF EXISTS pii_people, pii_accounts, pii_orders, pii_cities;

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
