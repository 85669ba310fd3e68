"""Sign-in for every door: API and feed tokens, browser sessions, and who may see what
(roles and the organisation scope). No HTTP framework here."""
