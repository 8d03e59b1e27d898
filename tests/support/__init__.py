"""What the template's tests and the bench share; test modules import from here, never from
each other.

    rendering.py  rendering the template: the working tree, or a tagged release
    commands.py   commands as a user runs them, git, ports, and what the generated CI runs
    releases.py   private copies of the template whose history and tags a test controls
"""
