"""How the worker signs in to GitHub: a token, or a GitHub App installation."""

from __future__ import annotations

from dataclasses import dataclass, field

from github import Auth, GithubIntegration

from connectors.base import MisconfiguredError


@dataclass(frozen=True)
class GitHubAppLogin:
    """A GitHub App: its id and private key, and the installation to act as."""

    app_id: int
    private_key: str = field(repr=False)
    #: ``None``: the installation on the first repository the worker files into.
    installation_id: int | None = None


def github_auth(
    token: str | None, app: GitHubAppLogin | None, *, base_url: str, repos: list[str], timeout: int
) -> Auth.Auth:
    """The client's credentials. An App's installation token is fetched, and renewed
    before it expires, by the client library itself."""
    if token is not None:
        return Auth.Token(token)
    if app is None:
        raise MisconfiguredError("set PMSYNC_GITHUB_TOKEN, or a GitHub App with PMSYNC_GITHUB_APP_ID")
    app_auth = Auth.AppAuth(app.app_id, app.private_key)
    installation = app.installation_id
    if installation is None:
        installation = _installation_of(app_auth, base_url, repos, timeout)
    return app_auth.get_installation_auth(installation)


def _installation_of(app_auth: Auth.AppAuth, base_url: str, repos: list[str], timeout: int) -> int:
    if not repos:
        raise MisconfiguredError(
            "no team files into GitHub, so the App's installation cannot be found: "
            "set PMSYNC_GITHUB_APP_INSTALLATION_ID"
        )
    owner, name = sorted(repos)[0].split("/", 1)
    integration = GithubIntegration(auth=app_auth, base_url=base_url, retry=None, timeout=timeout)
    try:
        return int(integration.get_repo_installation(owner, name).id)
    finally:
        integration.close()
