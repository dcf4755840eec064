"""Other recorders' cassette files, read as bedrock-vcr reads vcrpy's.

:mod:`.sniff` tells a file's format (and decompresses gzip); :mod:`.nock`, :mod:`.vcr_lists`
and :mod:`.parsed_body` turn their layouts into a vcrpy document (:mod:`.convert` holds the
table); :mod:`.remembered` answers whether a file is another recorder's without a second parse.
"""
