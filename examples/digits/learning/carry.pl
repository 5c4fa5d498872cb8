% The sum of two N-digit numbers, column by column with a carry: the same distribution as
% multi_addition/3 of addition.pl (DeepProbLog's program), but its ground program grows
% linearly with N instead of as 100^N, so exact inference handles N = 4 (and far more).
% A number is a list of digit images, most significant first; the sum Z is given.

nn(mnist_net,[X],Y,[0,1,2,3,4,5,6,7,8,9]) :: digit(X,Y).

multi_addition(X, Y, Z) :-
    reverse(X, RX), reverse(Y, RY),
    columns(RX, RY, 0, 1, Z).

% columns(Xs, Ys, Carry, Place, Z): the digits Xs and Ys (least significant first) and the
% carry into this column add up to the digits of Z from Place (1, 10, 100, ...) upwards.
columns([], [], Carry, Place, Z) :-
    Z // Place =:= Carry.
columns([X|Xs], [Y|Ys], Carry, Place, Z) :-
    digit(X, A), digit(Y, B),
    S is A + B + Carry,
    S mod 10 =:= (Z // Place) mod 10,
    Carry2 is S // 10,
    Place2 is Place * 10,
    columns(Xs, Ys, Carry2, Place2, Z).
