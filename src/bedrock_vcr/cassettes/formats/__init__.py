"""Other recorders' cassette files, read as bedrock-vcr reads vcrpy's (see :mod:`.sniff`)."""
