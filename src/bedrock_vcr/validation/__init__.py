"""Schema validation, from the bottom up: :mod:`.fastcheck` (schemas compiled to plain Python),
:mod:`.schemas` (the shipped schemas and which one applies), :mod:`.validate` (payload ->
violations, worded as Bedrock does), :mod:`.settings` (the four options), :mod:`.findings`,
:mod:`.checks` (recorded interactions), :mod:`.policy` (when validation runs around a cassette).
Nothing here knows botocore: :mod:`bedrock_vcr.intercept.checked` wires it into a player."""
