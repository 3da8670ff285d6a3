"""The domain: directory, policy, audit, notifications and the workflows.

Plain async Python; nothing here imports the Bot Framework.
"""
