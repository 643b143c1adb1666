print("podrig")
