"""The query language (parser, SQL compiler) and the tables and DataFrames built from it."""
