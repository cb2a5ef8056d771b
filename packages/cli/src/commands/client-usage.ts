/** Help for the commands that call the API (kept apart so `streamspace help` loads nothing else). */
export const CLIENT_USAGE = `Commands for people who script; they use STREAMSPACE_URL and STREAMSPACE_TOKEN, else the stored login:
  login [--url URL]          ask for username and password (and a two-factor code if the server asks)
        [--username NAME]    and store the login in $XDG_CONFIG_HOME/streamspace/config.json
        [--token TOKEN]      (else ~/.config/streamspace/config.json, mode 0600); or store an API token
  logout                     forget the stored login
  sessions list              your sessions (every user's for admins)
  sessions create TEMPLATE   start a session [--region REGION]
  sessions stop ID           stop a session
  sessions hibernate ID      hibernate a running session
  sessions resume ID         resume a hibernated session
  sessions delete ID         delete a session, its container and home volume
  templates list             the catalog
  users list                 users (admin)
  agents list                agents (admin)
    --json                   print the API's JSON instead of a table
`;
