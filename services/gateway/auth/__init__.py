"""Who is calling: local users, browser sessions, personal API tokens, sign-in rate limits."""
