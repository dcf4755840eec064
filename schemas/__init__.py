"""JSON Schemas shipped with bedrock-vcr (one file per model family and message kind)."""
