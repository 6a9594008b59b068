-- The sqlguard demo dataset: a small shop with customer PII that sqlguard masks.
-- All people, e-mail addresses, phone numbers, SSNs and card numbers are fictitious
-- (card numbers are Luhn-valid test numbers).
CREATE DATABASE IF NOT EXISTS shop CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
USE shop;

DROP TABLE IF EXISTS orders, products, customers, staff_notes;

CREATE TABLE customers (
  id INT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255) NOT NULL,
  phone VARCHAR(32),
  ssn CHAR(11),
  card_number VARCHAR(19),
  birth_date DATE,
  city VARCHAR(64) NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
) COMMENT 'Customers; email, phone, ssn and card_number are personal data';

CREATE TABLE products (
  id INT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  category VARCHAR(32) NOT NULL,
  price DECIMAL(10,2) NOT NULL,
  stock INT NOT NULL
);

CREATE TABLE orders (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  product_id INT NOT NULL,
  quantity INT NOT NULL,
  total DECIMAL(10,2) NOT NULL,
  status ENUM('placed','paid','shipped','delivered','cancelled') NOT NULL,
  ordered_at DATETIME NOT NULL,
  KEY (customer_id), KEY (product_id),
  FOREIGN KEY (customer_id) REFERENCES customers(id),
  FOREIGN KEY (product_id) REFERENCES products(id)
);

CREATE TABLE staff_notes (
  id INT PRIMARY KEY,
  customer_id INT NOT NULL,
  note TEXT NOT NULL
) COMMENT 'Internal notes; agents may not read them';

INSERT INTO customers (id, name, email, phone, ssn, card_number, birth_date, city, created_at) VALUES
 (1, 'Ada Lovelace',     'ada.lovelace@example.com',   '+44 20 7946 0101', '900-12-0001', '4111111111111111', '1985-12-10', 'London',   '2025-01-05 09:12:00'),
 (2, 'Grace Hopper',     'grace.hopper@example.org',   '+1 212 555 0102',  '900-12-0002', '5500005555555559', '1979-12-09', 'New York', '2025-01-18 14:40:00'),
 (3, 'Alan Turing',      'alan.turing@example.net',    '+44 161 496 0103', '900-12-0003', '340000000000009',  '1982-06-23', 'Manchester','2025-02-02 11:05:00'),
 (4, 'Katherine Johnson','k.johnson@example.com',      '+1 757 555 0104',  '900-12-0004', '6011000000000004', '1990-08-26', 'Hampton',  '2025-02-20 08:30:00'),
 (5, 'Edsger Dijkstra',  'edsger@example.nl',          '+31 20 555 0105',  '900-12-0005', '4012888888881881', '1975-05-11', 'Amsterdam','2025-03-01 16:22:00'),
 (6, 'Barbara Liskov',   'barbara.liskov@example.com', '+1 617 555 0106',  '900-12-0006', '5105105105105100', '1988-11-07', 'Boston',   '2025-03-15 10:10:00'),
 (7, 'Donald Knuth',     'don.knuth@example.edu',      '+1 650 555 0107',  '900-12-0007', '4222222222222',    '1970-01-10', 'Stanford', '2025-04-09 13:45:00'),
 (8, 'Margaret Hamilton','m.hamilton@example.com',     '+1 617 555 0108',  '900-12-0008', '378282246310005',  '1986-08-17', 'Boston',   '2025-04-30 09:55:00'),
 (9, 'Tim Berners-Lee',  'timbl@example.org',          '+44 20 7946 0109', '900-12-0009', '4000056655665556', '1983-06-08', 'London',   '2025-05-12 17:03:00'),
 (10,'Radia Perlman',    'radia@example.com',          '+1 206 555 0110',  '900-12-0010', '2223003122003222', '1991-12-18', 'Seattle',  '2025-06-01 12:00:00'),
 (11,'Ken Thompson',     'ken@example.com',            '+1 408 555 0111',  '900-12-0011', '6011111111111117', '1972-02-04', 'San Jose', '2025-06-21 15:35:00'),
 (12,'Frances Allen',    'fran.allen@example.com',     NULL,               NULL,          NULL,               '1987-08-04', 'Albany',   '2025-07-04 10:20:00');

INSERT INTO products (id, name, category, price, stock) VALUES
 (1, 'Mechanical keyboard', 'peripherals', 129.00, 40),
 (2, 'USB-C dock',          'peripherals',  89.50, 25),
 (3, '27" monitor',         'displays',    349.99, 12),
 (4, 'Laptop stand',        'accessories',  39.90, 80),
 (5, 'Noise-cancelling headphones', 'audio', 219.00, 18),
 (6, 'Webcam 4K',           'peripherals', 149.00, 30),
 (7, 'Desk lamp',           'accessories',  45.00, 55),
 (8, 'Ergonomic chair',     'furniture',   499.00,  6);

INSERT INTO orders (id, customer_id, product_id, quantity, total, status, ordered_at) VALUES
 (1, 1, 1, 1, 129.00, 'delivered', '2025-08-01 10:00:00'),
 (2, 1, 4, 2,  79.80, 'delivered', '2025-08-03 11:30:00'),
 (3, 2, 3, 1, 349.99, 'shipped',   '2025-08-05 09:15:00'),
 (4, 3, 5, 1, 219.00, 'paid',      '2025-08-06 14:20:00'),
 (5, 4, 2, 1,  89.50, 'delivered', '2025-08-07 16:45:00'),
 (6, 5, 8, 1, 499.00, 'placed',    '2025-08-09 08:05:00'),
 (7, 6, 6, 2, 298.00, 'shipped',   '2025-08-10 12:40:00'),
 (8, 7, 7, 3, 135.00, 'delivered', '2025-08-12 17:25:00'),
 (9, 8, 1, 1, 129.00, 'cancelled', '2025-08-13 10:10:00'),
 (10, 9, 3, 2, 699.98, 'paid',     '2025-08-15 13:00:00'),
 (11, 10, 5, 1, 219.00, 'shipped', '2025-08-16 15:50:00'),
 (12, 11, 2, 2, 179.00, 'placed',  '2025-08-18 09:30:00'),
 (13, 12, 4, 1,  39.90, 'delivered','2025-08-19 11:11:00'),
 (14, 2, 7, 1,  45.00, 'delivered', '2025-08-20 18:00:00'),
 (15, 6, 8, 1, 499.00, 'paid',      '2025-08-22 07:45:00'),
 (16, 9, 6, 1, 149.00, 'placed',    '2025-08-24 20:15:00');

INSERT INTO staff_notes (id, customer_id, note) VALUES
 (1, 5, 'Asked for a refund outside the return window; approved as goodwill.'),
 (2, 8, 'Prefers delivery after 17:00.');
