"""Facts about the Bedrock Runtime service: its operations and paths (:mod:`.operations`), how
model ids, profiles and ARNs resolve to a model family (:mod:`.models`), known model ids. No
botocore, no YAML: everything above may ask these."""
