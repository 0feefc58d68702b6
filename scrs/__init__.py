"""SCRS crime-recording compliance warehouse for Police Scotland."""
