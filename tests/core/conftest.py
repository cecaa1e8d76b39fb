"""The single-logout receiver of the SSO tests serves the job and serve tests too."""

