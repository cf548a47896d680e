"""`python -m local new ...`: code written from templates (`templates/`), so that starting
something of your own is one command and `make test` passes straight after."""
