-- Gavel schema, version 1: written in the billing store change
SELECT 1;
