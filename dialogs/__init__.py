"""Multi-turn conversations (botbuilder-dialogs). Each feature's dialog registers its command."""
